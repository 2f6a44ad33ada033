import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { LineSplitter } from './lines.js';

/** One shell command to run. */
export interface StepSpec {
  readonly command: string;
  /** Absolute working directory. */
  readonly cwd: string;
  /** The complete environment of the step (nothing is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** Kill the step after this long; no limit when absent. */
  readonly timeoutMs?: number | undefined;
  /** Aborting kills the step (cancel). */
  readonly signal: AbortSignal;
  /** Each line of output, stdout and stderr interleaved as they arrive, unmasked. */
  readonly onLine: (line: string) => void;
  /** Container image (executors that run containers only). */
  readonly image?: string | undefined;
}

/** How a step ended. */
export interface StepResult {
  /** The exit code, or null when a signal ended it. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  /** Set when the step could not start at all (e.g. its working directory is missing). */
  readonly startError?: string;
  /**
   * Ends what the step left running (background processes in its process group) and stops
   * reading their output. Call it when the stage ends: a step may start a server for the next.
   */
  release(): Promise<void>;
}

/** Runs steps somewhere: on this host, or in a container. */
export interface Executor {
  readonly name: string;
  /** Throws FLOWLINE_NOT_SUPPORTED (with what is missing) when this executor cannot run here. */
  check(): Promise<void>;
  run(spec: StepSpec): Promise<StepResult>;
}

export interface LocalExecutorOptions {
  /** Time between SIGTERM and SIGKILL when a step is killed. Default 5000 ms. */
  readonly killGraceMs?: number;
  /** The program run as `<shell> -c <command>`. Default `/bin/sh`. */
  readonly shell?: string;
}

/**
 * Runs steps as `/bin/sh -c <command>` child processes on this host. Each step is the leader of
 * its own process group (detached), so a timeout or a cancel kills the whole tree it started:
 * SIGTERM to the group, then SIGKILL after a grace period.
 */
export class LocalProcessExecutor implements Executor {
  readonly name = 'local';
  readonly #killGraceMs: number;
  readonly #shell: string;

  constructor(options: LocalExecutorOptions = {}) {
    this.#killGraceMs = options.killGraceMs ?? 5000;
    this.#shell = options.shell ?? '/bin/sh';
  }

  async check(): Promise<void> {}

  run(spec: StepSpec): Promise<StepResult> {
    return this.spawn(this.#shell, ['-c', spec.command], spec);
  }

  /** Runs `file args` as a step (the Docker executor runs `docker run …` through this). */
  async spawn(file: string, args: readonly string[], spec: StepSpec): Promise<StepResult> {
    const noop = async () => {};
    if (spec.signal.aborted)
      return { exitCode: null, signal: null, timedOut: false, cancelled: true, release: noop };
    const child = spawn(file, args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = new LineSplitter(spec.onLine);
    const err = new LineSplitter(spec.onLine);
    child.stdout.on('data', (chunk: Buffer) => out.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.write(chunk));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    exited.catch(() => undefined); // 'error' instead of 'exit': handled below
    const closed = once(child, 'close').catch(() => undefined);
    const spawnError = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', resolve);
    });
    if (spawnError !== undefined) {
      const missing = spawnError.code === 'ENOENT' && !(await isDirectory(spec.cwd));
      return {
        exitCode: null,
        signal: null,
        timedOut: false,
        cancelled: false,
        startError: missing
          ? `its working directory ${spec.cwd} does not exist`
          : `cannot start ${file}: ${spawnError.code ?? spawnError.message}`,
        release: noop,
      };
    }
    const pgid = child.pid ?? 0;

    let timedOut = false;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = () => {
      signalGroup(pgid, 'SIGTERM');
      killTimer ??= setTimeout(() => signalGroup(pgid, 'SIGKILL'), this.#killGraceMs);
    };
    const onAbort = () => {
      cancelled = true;
      kill();
    };
    spec.signal.addEventListener('abort', onAbort, { once: true });
    const timeout =
      spec.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            kill();
          }, spec.timeoutMs);

    const [exitCode, signal] = await exited;
    clearTimeout(timeout);
    spec.signal.removeEventListener('abort', onAbort);
    // Output written just before the exit may still be in the pipes; background processes may hold them open.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 100).unref())]);
    out.end();
    err.end();
    let isClosed = false;
    void closed.then(() => {
      isClosed = true;
    });
    const release = async () => {
      clearTimeout(killTimer);
      if (!isClosed) {
        // Something the step started still holds its output open: ask it to stop, then insist.
        signalGroup(pgid, 'SIGTERM');
        await Promise.race([
          closed,
          new Promise((resolve) => setTimeout(resolve, this.#killGraceMs).unref()),
        ]);
      }
      // Also ends members that closed their output (daemons); ESRCH when none is left.
      signalGroup(pgid, 'SIGKILL');
      child.stdout.destroy();
      child.stderr.destroy();
    };
    if (timedOut || cancelled) await release();
    return { exitCode, signal, timedOut, cancelled, release };
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => undefined))?.isDirectory() === true;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/** `SIGKILL` for an exit code of 137 from a shell whose child was killed by signal 9, else undefined. */
export function signalOfExitCode(code: number | null): NodeJS.Signals | undefined {
  if (code === null || code <= 128) return undefined;
  const number = code - 128;
  const found = Object.entries(constants.signals).find(([, n]) => n === number);
  return found?.[0] as NodeJS.Signals | undefined;
}
