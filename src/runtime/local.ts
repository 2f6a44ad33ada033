import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Clock, systemClock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import type { Store } from '../store/index.js';
import { adoptRecorded, reapRevision } from './adopt.js';
import type { BackoffOptions } from './backoff.js';
import { Instance, type InstanceContext } from './instance.js';
import { PortPool } from './ports.js';
import { selfIdentity, supervisorAlive } from './proc.js';
import { commandHash, RuntimeRecords } from './records.js';
import {
  type AdoptOptions,
  type AdoptReport,
  type CloseOptions,
  type InstanceStatus,
  type RevisionHandle,
  type RevisionSpec,
  type Runtime,
  revisionKey,
  type StartOptions,
  type StatusFilter,
  type StopOptions,
} from './types.js';
import { dataDir, type RunAs, removeDataDir } from './workdir.js';

export interface LocalRuntimeOptions {
  readonly store: Store;
  readonly clock?: Clock;
  /** Flowline's own environment; instances inherit only PATH and LANG from it. */
  readonly hostEnv?: Readonly<Record<string, string | undefined>>;
  /**
   * Where each instance gets its own copy of its artifact and a scratch folder, and each
   * environment its data folder (see workdir.ts): outside Flowline's home, so nothing an instance
   * can reach by a relative path belongs to Flowline.
   */
  readonly workRoot: string;
  /** The unprivileged user instances run as (Flowline running as root); see run-as.ts. */
  readonly runAs?: RunAs | undefined;
  /** Restart delays. Default: 500 ms doubling to 30 s, reset after 60 s healthy. */
  readonly backoff?: Partial<BackoffOptions>;
  /** Where ports come from. Default: the kernel (bind port 0). Tests inject a taken port. */
  readonly allocatePort?: () => Promise<number>;
  /** Processes to try when an instance finds its port taken. Default 3. */
  readonly portAttempts?: number;
  /** Failures nobody awaits (a state write in the background, a listener that threw). Default: stderr. */
  readonly onError?: (error: unknown) => void;
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Revision {
  readonly key: string;
  readonly spec: RevisionSpec;
  readonly instances: Instance[];
}

/**
 * The default runtime: a supervisor of local processes. Each instance is a detached process
 * group on a port of its own; state is written to the store before each action, so another
 * Flowline process can `adopt` the instances after this one dies. See docs/adr/0004-runtime.md.
 */
export function createLocalRuntime(options: LocalRuntimeOptions): Runtime {
  return new LocalRuntime(options);
}

class LocalRuntime implements Runtime {
  readonly #revisions = new Map<string, Revision>();
  /** Keys between the checks of `start` and their entry in `#revisions`: a second start waits for none. */
  readonly #preparing = new Set<string>();
  readonly #listeners = new Set<(status: InstanceStatus) => void>();
  readonly #records: RuntimeRecords;
  readonly #ports: PortPool;
  readonly #clock: Clock;
  readonly #backoff: BackoffOptions;
  readonly #self = selfIdentity();
  readonly #onError: (error: unknown) => void;
  #closed = false;

  constructor(private readonly options: LocalRuntimeOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#records = new RuntimeRecords(options.store, this.#clock);
    this.#ports = new PortPool(options.allocatePort);
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#onError =
      options.onError ??
      ((error) => process.stderr.write(`flowline runtime: ${(error as Error).message ?? String(error)}\n`));
  }

  async start(spec: RevisionSpec, options: StartOptions = {}): Promise<RevisionHandle> {
    this.#assertOpen();
    await validate(spec);
    const key = revisionKey(spec);
    const running = this.#revisions.get(key);
    if (running !== undefined) return reuse(running, spec);
    if (this.#preparing.has(key)) {
      throw new FlowlineError('FLOWLINE_REVISION_RUNNING', `revision ${key} is being started already.`, {
        hint: 'Wait for that start to finish; starting it again then returns the running revision.',
      });
    }
    this.#preparing.add(key);
    let rows: Awaited<ReturnType<RuntimeRecords['createRevision']>>;
    try {
      for (const live of await this.#records.liveRevisions(key)) {
        const owner = live.row.supervisor;
        if (owner !== null && owner !== this.#self && supervisorAlive(owner)) throw busy(key, owner);
        await reapRevision(this.#reapDeps(), live, 'its revision was started again');
      }
      await mkdir(spec.logDir, { recursive: true });
      rows = await this.#records.createRevision(key, spec, this.#self);
    } finally {
      this.#preparing.delete(key);
    }
    const ctx = this.#context(key, spec);
    const revision: Revision = {
      key,
      spec,
      instances: rows.map((row) => new Instance(ctx, row.id, row.nonce, row.logFile)),
    };
    this.#revisions.set(key, revision);
    const { onProgress } = options;
    const unsubscribe =
      onProgress === undefined ? () => {} : this.onChange((s) => s.revisionKey === key && onProgress(s));
    try {
      await new Promise<void>((resolve, reject) => {
        for (const instance of revision.instances) instance.onEarlyExit = reject;
        const attempts = this.options.portAttempts ?? 3;
        Promise.all(revision.instances.map((instance) => instance.startUp(attempts))).then(
          () => resolve(),
          reject,
        );
      });
      for (const instance of revision.instances) instance.supervise();
      await this.#records.updateRevision(key, { state: 'running' });
      return handleOf(revision);
    } catch (error) {
      await this.#stopRevision(revision, spec.shutdown.gracePeriod).catch(this.#onError);
      throw error;
    } finally {
      unsubscribe();
    }
  }

  async stop(key: string, options: StopOptions = {}): Promise<void> {
    const revision = this.#revisions.get(key);
    if (revision !== undefined) {
      return this.#stopRevision(revision, options.graceMs ?? revision.spec.shutdown.gracePeriod);
    }
    // Recorded but not supervised here: a revision left by a Flowline process that is gone.
    for (const live of await this.#records.liveRevisions(key)) {
      const owner = live.row.supervisor;
      if (owner !== null && owner !== this.#self && supervisorAlive(owner)) throw busy(key, owner);
      await reapRevision(this.#reapDeps(), live, 'stopped while no Flowline process supervised it');
    }
  }

  async status(filter: StatusFilter = {}): Promise<InstanceStatus[]> {
    const all = [...this.#revisions.values()].flatMap((revision) =>
      revision.instances.map((i) => i.status()),
    );
    return all.filter(
      (s) =>
        (filter.service === undefined || s.service === filter.service) &&
        (filter.environment === undefined || s.environment === filter.environment) &&
        (filter.revision === undefined || s.revision === filter.revision) &&
        (filter.revisionKey === undefined || s.revisionKey === filter.revisionKey),
    );
  }

  async adopt(options: AdoptOptions = {}): Promise<AdoptReport> {
    this.#assertOpen();
    const { report, revisions } = await adoptRecorded(
      {
        ...this.#reapDeps(),
        self: this.#self,
        supervised: new Set(this.#revisions.keys()),
        context: (key, spec, noRestart) => this.#context(key, spec, noRestart),
      },
      options,
    );
    for (const revision of revisions) this.#revisions.set(revision.key, revision);
    return report;
  }

  async removeData(service: string, environment: string): Promise<boolean> {
    // Checked first: a sweep asks for every deleted preview ever, most long gone.
    if (!(await exists(dataDir(this.options.workRoot, service, environment)))) return false;
    const ofIt = (s: { service: string; environment: string }) =>
      s.service === service && s.environment === environment;
    const supervised = [...this.#revisions.values()].filter((r) => ofIt(r.spec)).map((r) => r.key);
    const recorded = (await this.#records.liveRevisions()).filter((l) => ofIt(l.row)).map((l) => l.row.key);
    const running = [...new Set([...supervised, ...recorded])];
    if (running.length > 0) {
      throw new FlowlineError(
        'FLOWLINE_REVISION_RUNNING',
        `${running.length === 1 ? 'revision' : 'revisions'} ${running.join(', ')} of ${service}/${environment} still ${running.length === 1 ? 'runs' : 'run'} on its data folder.`,
        { hint: 'Stop every revision of the environment first (flowline env delete stops them).' },
      );
    }
    await removeDataDir(this.options.workRoot, service, environment);
    return true;
  }

  onChange(listener: (status: InstanceStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(options: CloseOptions): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const revisions = [...this.#revisions.values()];
    if (options.stopInstances) {
      await Promise.all(revisions.map((r) => this.#stopRevision(r, r.spec.shutdown.gracePeriod)));
    } else {
      for (const revision of revisions) for (const instance of revision.instances) instance.detach();
    }
    this.#revisions.clear();
    this.#listeners.clear();
  }

  async #stopRevision(revision: Revision, graceMs: number): Promise<void> {
    await this.#records.updateRevision(revision.key, { state: 'stopping' });
    const signal = revision.spec.shutdown.signal;
    await Promise.all(revision.instances.map((instance) => instance.stop(signal, graceMs)));
    await this.#records.updateRevision(revision.key, { state: 'stopped' });
    if (this.#revisions.get(revision.key) === revision) this.#revisions.delete(revision.key);
  }

  #context(key: string, spec: RevisionSpec, noRestart?: string): InstanceContext {
    return {
      key,
      spec,
      ...(noRestart === undefined ? {} : { noRestart }),
      records: this.#records,
      ports: this.#ports,
      hostEnv: this.options.hostEnv ?? {},
      workRoot: this.options.workRoot,
      runAs: this.options.runAs,
      backoff: this.#backoff,
      clock: this.#clock,
      emit: (status) => this.#emit(status),
      onError: this.#onError,
    };
  }

  #reapDeps() {
    return {
      records: this.#records,
      now: () => this.#clock.now().toISOString(),
      workRoot: this.options.workRoot,
    };
  }

  #emit(status: InstanceStatus): void {
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new FlowlineError('FLOWLINE_INTERNAL', 'the runtime was used after close()');
  }
}

function handleOf(revision: Revision): RevisionHandle {
  const { service, environment, revision: id } = revision.spec;
  return {
    key: revision.key,
    service,
    environment,
    revision: id,
    instances: revision.instances.map((i) => i.status()),
  };
}

/** Starting what already runs is how a resumed deploy picks its revision up again. */
function reuse(running: Revision, spec: RevisionSpec): RevisionHandle {
  const same =
    commandHash(running.spec.command) === commandHash(spec.command) &&
    running.spec.workdir === spec.workdir &&
    running.instances.length === spec.instances;
  if (same && running.instances.every((i) => i.state === 'healthy')) return handleOf(running);
  throw new FlowlineError(
    'FLOWLINE_REVISION_RUNNING',
    `revision ${running.key} already runs${same ? ', not all of it healthy' : ' with another command, folder or instance count'}.`,
    {
      hint: `Stop it first (it is stopped with its revision key ${running.key}), or deploy under a new revision id.`,
    },
  );
}

function busy(key: string, owner: string): FlowlineError {
  return new FlowlineError(
    'FLOWLINE_REVISION_RUNNING',
    `revision ${key} is supervised by another live Flowline process (pid ${owner.split('@')[0]}).`,
    { hint: 'Start or stop it through that process (the server), or stop that process first.' },
  );
}

async function validate(spec: RevisionSpec): Promise<void> {
  const problems: string[] = [];
  for (const field of ['service', 'environment', 'revision'] as const) {
    if (!NAME.test(spec[field]))
      problems.push(`${field} \`${spec[field]}\` must be letters, digits, '.', '_' or '-'`);
  }
  if (!Number.isInteger(spec.instances) || spec.instances < 1) problems.push('instances must be 1 or more');
  if (!ENV_NAME.test(spec.portEnv)) problems.push(`port env \`${spec.portEnv}\` is not a variable name`);
  if (spec.command.trim() === '') problems.push('command is empty');
  const isDir = await stat(spec.workdir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) problems.push(`the artifact folder ${spec.workdir} does not exist`);
  const subdir = spec.subdir ?? '.';
  if (path.isAbsolute(subdir) || path.normalize(subdir).split(path.sep).includes('..'))
    problems.push(`the folder to run in, ${subdir}, must stay inside the artifact`);
  if (problems.length > 0) {
    throw new FlowlineError(
      'FLOWLINE_RUNTIME_SPEC_INVALID',
      `revision ${revisionKey(spec)} cannot start: ${problems.join('; ')}.`,
      {
        hint: 'Check run.instances, run.port.env and run.command in flowline.yaml, and that the artifact exists.',
      },
    );
  }
}

function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
