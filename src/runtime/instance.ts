import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import { type BackoffOptions, CrashStreak } from './backoff.js';
import {
  describeExit,
  describeStop,
  exitedError,
  formatMs,
  portInUseError,
  saysPortInUse,
  unhealthyError,
} from './errors.js';
import { INSTANCE_HOST, probe } from './health.js';
import { logTail, openInstanceLog } from './logs.js';
import type { PortPool } from './ports.js';
import { isSameProcess, processInfo, signal, terminateGroup } from './proc.js';
import type { InstancePatch, RuntimeRecords } from './records.js';
import { instanceEnv, spawnInstance } from './spawn.js';
import type { InstanceState, InstanceStatus, RevisionSpec } from './types.js';
import { prepareInstanceFolders, type RunAs, removeInstanceDir } from './workdir.js';

/** What every instance of a revision shares. */
export interface InstanceContext {
  readonly key: string;
  /** With secret values when known. */
  readonly spec: RevisionSpec;
  /** Set when a crashed instance must not be restarted (an adopted revision's secrets are unknown). */
  readonly noRestart?: string;
  readonly records: RuntimeRecords;
  readonly ports: PortPool;
  readonly hostEnv: Readonly<Record<string, string | undefined>>;
  /** Where the instance's own copy of the artifact, its scratch and its data folder live (workdir.ts). */
  readonly workRoot: string;
  readonly runAs?: RunAs | undefined;
  readonly backoff: BackoffOptions;
  readonly clock: Clock;
  readonly emit: (status: InstanceStatus) => void;
  readonly onError: (error: unknown) => void;
}

type StartOutcome =
  | { readonly kind: 'healthy' }
  | { readonly kind: 'exited'; readonly exit: string; readonly code: number | null }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'stopped' };

/** While starting, checks run this often (or at `interval` if shorter), so a fast service is ready sooner. */
const STARTING_PROBE_MS = 200;

/**
 * One supervised instance: its process, its health checks, its restarts. The process runs in its
 * own process group; `gen` counts processes, so callbacks of an earlier process are ignored.
 */
export class Instance {
  state: InstanceState = 'starting';
  pid: number | null = null;
  pgid: number | null = null;
  port: number | null = null;
  restarts = 0;
  startedAt: string | null = null;
  lastError: string | null = null;
  lastExit: string | null = null;
  /** Called when the instance exits after its first healthy check but before `supervise()`. */
  onEarlyExit: ((error: FlowlineError) => void) | undefined;

  #identity: string | undefined;
  #child: ChildProcess | undefined;
  #childExit: Promise<void> = Promise.resolve();
  #logOffset = 0;
  #gen = 0;
  #passes = 0;
  #failures = 0;
  #lastCheck: string | null = null;
  #supervising = false;
  #ended = false;
  readonly #streak: CrashStreak;
  #waiter: ((outcome: StartOutcome) => void) | undefined;
  #writes: Promise<void> = Promise.resolve();
  /** A spawn under way: `stop` waits for it, so it never misses a process spawned meanwhile. */
  #launching: Promise<void> = Promise.resolve();
  readonly #timers = new Map<'probe' | 'deadline' | 'restart', NodeJS.Timeout>();

  constructor(
    private readonly ctx: InstanceContext,
    readonly id: string,
    readonly nonce: string,
    readonly logFile: string,
  ) {
    this.#streak = new CrashStreak(ctx.backoff, ctx.clock);
  }

  /**
   * Re-attaches to a process that a previous Flowline started: health checks resume, and since it
   * is not this process's child, each check first makes sure the process is still the same one.
   */
  static adopted(
    ctx: InstanceContext,
    row: { id: string; nonce: string; log_file: string; pid: number; pgid: number; port: number },
    facts: { identity: string; restarts: number; startedAt: string | null },
  ): Instance {
    const instance = new Instance(ctx, row.id, row.nonce, row.log_file);
    instance.pid = row.pid;
    instance.pgid = row.pgid;
    instance.port = row.port;
    instance.restarts = facts.restarts;
    instance.startedAt = facts.startedAt;
    instance.#identity = facts.identity;
    instance.#supervising = true;
    instance.state = 'healthy';
    ctx.ports.hold(row.port);
    instance.#schedule('probe', instance.#gen, ctx.spec.health.interval);
    return instance;
  }

  /**
   * Spawns the process and resolves at its first healthy state. An exit that says its port was
   * taken is retried on another port, up to `portAttempts` processes; any other failure throws.
   */
  async startUp(portAttempts: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const outcome = new Promise<StartOutcome>((resolve) => {
        this.#waiter = resolve;
      });
      await this.#launchOnce(attempt > 1).catch((error: unknown) => {
        this.#waiter = undefined;
        throw error;
      });
      const result = await outcome;
      if (result.kind === 'healthy') return;
      if (result.kind === 'stopped')
        throw new FlowlineError('FLOWLINE_INTERNAL', `${this.id} was stopped while starting`);
      const failure = { instance: this.id, logFile: this.logFile, tail: await this.#tail() };
      if (result.kind === 'timeout') {
        throw unhealthyError(failure, this.ctx.spec.health.startPeriod, this.#lastCheck);
      }
      if (!saysPortInUse(failure.tail)) throw exitedError(failure, result.exit, result.code);
      if (attempt >= portAttempts) throw portInUseError(failure, attempt);
    }
  }

  /** From now on, an unexpected exit is a crash to restart, no longer a failed start. */
  supervise(): void {
    this.#supervising = true;
    this.onEarlyExit = undefined;
  }

  /**
   * Stops the process group: `sig`, then SIGKILL after `graceMs`. Records `stopping` before the
   * signal and `stopped` after the last process is gone.
   */
  async stop(sig: NodeJS.Signals, graceMs: number): Promise<void> {
    if (this.state === 'stopped') return;
    this.#ended = true;
    this.#clearTimers();
    this.#settle({ kind: 'stopped' });
    await this.#launching.catch(() => {});
    if (this.#processExists() && this.pgid !== null) {
      const ownChild = this.#child !== undefined;
      // Recorded first; a failed write must not keep the process running (adopt resolves a stale row).
      await this.#setState('stopping').catch(() => {});
      const { killed } = await terminateGroup(this.pgid, sig, graceMs);
      await this.#childExit;
      // Only a child of this process reports its exit; for an adopted one, say what was done.
      if (!ownChild) this.lastExit = describeStop(killed, sig);
    }
    this.#gen++;
    this.ctx.ports.release(this.port);
    await removeInstanceDir(this.ctx.workRoot, this.id).catch((error: unknown) => this.ctx.onError(error));
    await this.#setState('stopped', undefined, { stopped_at: this.ctx.clock.now().toISOString() });
  }

  /** Stops supervising without touching the process (Flowline is shutting down for a restart). */
  detach(): void {
    this.#ended = true;
    this.#clearTimers();
    this.#settle({ kind: 'stopped' });
  }

  status(): InstanceStatus {
    const { spec } = this.ctx;
    return {
      id: this.id,
      revisionKey: this.ctx.key,
      service: spec.service,
      environment: spec.environment,
      revision: spec.revision,
      pid: this.pid,
      port: this.port,
      url: this.port === null ? null : `http://${INSTANCE_HOST}:${this.port}`,
      state: this.state,
      restarts: this.restarts,
      startedAt: this.startedAt,
      logFile: this.logFile,
      lastError: this.lastError,
      lastExit: this.lastExit,
    };
  }

  #launchOnce(newPort: boolean): Promise<void> {
    if (this.#ended) return Promise.reject(new FlowlineError('FLOWLINE_INTERNAL', `${this.id} was stopped`));
    this.#launching = this.#launch(newPort);
    return this.#launching;
  }

  async #launch(newPort: boolean): Promise<void> {
    const { spec } = this.ctx;
    if (newPort || this.port === null) {
      this.ctx.ports.release(this.port);
      this.port = await this.ctx.ports.take();
    }
    const now = this.ctx.clock.now().toISOString();
    const log = await openInstanceLog(this.logFile, `starting ${this.id} on port ${this.port} at ${now}`);
    this.#logOffset = log.offset;
    let child: ChildProcess;
    try {
      const { workRoot, runAs } = this.ctx;
      const folders = await prepareInstanceFolders({ workRoot, instanceId: this.id, spec, runAs });
      // Durable before acting: if Flowline dies from here on, `adopt` finds the process by its nonce.
      await this.#persist({ state: this.state, port: this.port, pid: null, pgid: null, proc_start: null });
      child = spawnInstance({
        command: spec.command,
        workdir: spec.subdir === undefined ? folders.home : path.join(folders.home, spec.subdir),
        env: instanceEnv(
          spec,
          { id: this.id, nonce: this.nonce, port: this.port, ...folders },
          this.ctx.hostEnv,
        ),
        logFd: log.handle.fd,
        runAs: this.ctx.runAs,
      });
    } catch (error) {
      await log.handle.close();
      throw error;
    }
    // Synchronous up to the next await, so no event of the child can be missed.
    const gen = ++this.#gen;
    const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
    const pid = child.pid;
    if (pid !== undefined) {
      this.#child = child;
      this.#childExit = new Promise((resolve) => child.once('exit', () => resolve()));
      child.once('exit', (code, sig) => this.#onExit(gen, describeExit(code, sig), code));
      child.on('error', (error) => this.ctx.onError(error));
      // Detached: the child leads a new session and process group, whose id is its pid.
      this.pid = pid;
      this.pgid = pid;
      this.startedAt = now;
      this.#identity = processInfo(pid)?.identity;
      this.#passes = 0;
      this.#failures = 0;
      this.#lastCheck = null;
    }
    await log.handle.close();
    if (pid === undefined) {
      const error = await spawnFailed;
      throw new FlowlineError(
        'FLOWLINE_RUNTIME_SPEC_INVALID',
        `instance ${this.id} could not be spawned: ${error.message}`,
        { hint: 'Check that /bin/sh exists and the artifact folder is readable.' },
      );
    }
    const started = { pid, pgid: pid, proc_start: this.#identity ?? null, started_at: now };
    // Exited already: `#onExit` has taken over; only record which process it was.
    if (gen !== this.#gen) return this.#persist(started);
    await this.#setState('starting', undefined, started);
    this.#schedule('deadline', gen, spec.health.startPeriod);
    this.#schedule('probe', gen, Math.min(spec.health.interval, 100));
  }

  async #probe(gen: number): Promise<void> {
    if (gen !== this.#gen || this.port === null) return;
    // An adopted process is not our child: no exit event will come, so look.
    if (this.#child === undefined && !this.#processExists()) {
      this.#onExit(gen, 'exited (it was adopted, so its exit code is unknown)', null);
      return;
    }
    const { health } = this.ctx.spec;
    const result = await probe(this.port, health);
    if (gen !== this.#gen) return;
    this.#lastCheck = result.detail;
    if (result.ok) {
      this.#failures = 0;
      this.#passes++;
      const waiting = this.state === 'starting' || this.state === 'unhealthy';
      if (waiting && this.#passes >= health.successThreshold) this.#becomeHealthy();
    } else {
      this.#passes = 0;
      this.#failures++;
      if (this.state === 'healthy' && this.#failures >= health.failureThreshold) {
        this.#streak.unhealthy();
        void this.#setState('unhealthy', result.detail);
      }
    }
    const starting = this.state === 'starting';
    this.#schedule('probe', gen, starting ? Math.min(health.interval, STARTING_PROBE_MS) : health.interval);
  }

  #becomeHealthy(): void {
    clearTimeout(this.#timers.get('deadline'));
    this.#streak.healthy(); // before listeners hear of it: the healthy period starts now
    void this.#setState('healthy', null);
    this.#settle({ kind: 'healthy' });
  }

  #onDeadline(): void {
    if (this.state !== 'starting') return;
    if (this.#settle({ kind: 'timeout' })) return;
    const check = this.#lastCheck === null ? 'no health check completed' : `last check ${this.#lastCheck}`;
    void this.#setState(
      'unhealthy',
      `not healthy within ${formatMs(this.ctx.spec.health.startPeriod)}: ${check}`,
    );
  }

  #onExit(gen: number, exit: string, code: number | null): void {
    if (gen !== this.#gen) return;
    this.#gen++;
    this.#clearTimers();
    this.#child = undefined;
    this.lastExit = exit;
    if (this.#ended) return;
    // Kill what is left of the tree: a leftover child could hold the port a restart needs.
    if (this.pgid !== null) signal(-this.pgid, 'SIGKILL');
    if (this.#settle({ kind: 'exited', exit, code })) return;
    if (!this.#supervising) {
      void this.#setState('crashed', exit);
      this.onEarlyExit?.(
        new FlowlineError(
          'FLOWLINE_DEPLOY_UNHEALTHY',
          `instance ${this.id} ${exit} while its revision was starting`,
        ),
      );
      return;
    }
    const delay = this.#streak.crashed();
    if (this.ctx.noRestart !== undefined) {
      void this.#setState('crashed', `${exit}; not restarted: ${this.ctx.noRestart}`);
      return;
    }
    void this.#setState('crashed', `${exit}; restarting in ${formatMs(delay)}`);
    this.#schedule('restart', this.#gen, delay);
  }

  async #restart(): Promise<void> {
    this.restarts++;
    try {
      const portTaken = saysPortInUse(await this.#tail());
      await this.#setState('restarting');
      await this.#launchOnce(portTaken);
    } catch (error) {
      this.ctx.onError(error);
      const delay = this.#streak.crashed();
      void this.#setState(
        'crashed',
        `restart failed: ${(error as Error).message}; retrying in ${formatMs(delay)}`,
      );
      this.#schedule('restart', this.#gen, delay);
    }
  }

  /** Hands the outcome to a waiting `startUp`; false when none waits. */
  #settle(outcome: StartOutcome): boolean {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(outcome);
    return waiter !== undefined;
  }

  #schedule(kind: 'probe' | 'deadline' | 'restart', gen: number, ms: number): void {
    clearTimeout(this.#timers.get(kind));
    const timer = setTimeout(() => {
      this.#timers.delete(kind);
      if (gen !== this.#gen || this.#ended) return;
      if (kind === 'probe') void this.#probe(gen).catch((error: unknown) => this.ctx.onError(error));
      else if (kind === 'deadline') this.#onDeadline();
      else void this.#restart();
    }, ms);
    // Referenced: supervising keeps Flowline alive; `close` or `detach` clears the timers.
    this.#timers.set(kind, timer);
  }

  #clearTimers(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #processExists(): boolean {
    if (this.#child !== undefined) return true;
    return this.pid !== null && this.#identity !== undefined && isSameProcess(this.pid, this.#identity);
  }

  #tail(): Promise<string[]> {
    return logTail(this.logFile, this.#logOffset, Object.values(this.ctx.spec.secrets ?? {}));
  }

  #setState(state: InstanceState, lastError?: string | null, extra: InstancePatch = {}): Promise<void> {
    this.state = state;
    if (lastError !== undefined) this.lastError = lastError;
    const written = this.#persist({
      state,
      restarts: this.restarts,
      last_error: this.lastError,
      last_exit: this.lastExit,
      ...extra,
    });
    this.ctx.emit(this.status());
    return written;
  }

  /** Writes in order, one at a time; a failed write is reported and does not block later ones. */
  #persist(patch: InstancePatch): Promise<void> {
    const write = this.#writes.then(() => this.ctx.records.updateInstance(this.id, patch));
    this.#writes = write.catch((error: unknown) => this.ctx.onError(error));
    return write;
  }
}
