import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FlowlineError } from '../core/errors.js';
import { isAlive } from '../core/process.js';
import type { LockHolder } from './types.js';

/** The lock file of runs in one Flowline home: one `flowline run` at a time per repository. */
export function runLockFile(home: string): string {
  return path.join(home, 'locks', 'run.lock');
}

export interface AcquireOptions {
  /** Wait for the holder to finish (default), or throw FLOWLINE_RUN_LOCKED at once. */
  readonly wait: boolean;
  /** Called when waiting starts and whenever another holder takes over. */
  readonly onWait?: (holder: LockHolder) => void;
  /** Stop waiting (Ctrl-C); rejects with FLOWLINE_RUN_LOCKED. */
  readonly signal?: AbortSignal | undefined;
  readonly pollMs?: number;
  readonly now?: () => Date;
}

/** A held run lock. */
export interface RunLock {
  readonly file: string;
  /** Records the run id in the lock, so a waiting run can name it. */
  setRun(runId: string): Promise<void>;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/**
 * Takes the run lock: a file holding the holder's pid, start time and run id, created with
 * `O_EXCL` so two processes cannot both create it. A lock whose pid is dead (a run killed with
 * SIGKILL, a crashed machine) is taken over: renamed aside atomically, checked to be the stale
 * lock that was read (not a fresh one another waiter just created), then removed.
 */
export async function acquireRunLock(home: string, options: AcquireOptions): Promise<RunLock> {
  const file = runLockFile(home);
  await mkdir(path.dirname(file), { recursive: true });
  const now = options.now ?? (() => new Date());
  const mine = (runId: string | null): LockHolder => ({
    pid: process.pid,
    since: now().toISOString(),
    runId,
  });
  let current = mine(null);
  let lastSeen: string | undefined;
  for (;;) {
    if (await tryCreate(file, current)) break;
    const raw = await readFile(file, 'utf8').catch(() => undefined);
    if (raw === undefined) continue; // released between our attempt and the read
    const holder = parseHolder(raw);
    if (holder === undefined || !isAlive(holder.pid)) {
      await takeOverStale(file, raw);
      continue;
    }
    if (!options.wait) {
      throw new FlowlineError('FLOWLINE_RUN_LOCKED', `Another run is in progress: ${describe(holder)}.`, {
        hint: `Wait for it (run again without --no-wait), or stop process ${holder.pid}.`,
      });
    }
    if (raw !== lastSeen) {
      lastSeen = raw;
      options.onWait?.(holder);
    }
    if (options.signal?.aborted) {
      throw new FlowlineError('FLOWLINE_RUN_LOCKED', `Stopped waiting for ${describe(holder)}.`, {
        hint: 'Run again once it has finished.',
      });
    }
    await sleep(options.pollMs ?? 200);
    current = mine(null);
  }
  let released = false;
  return {
    file,
    async setRun(runId) {
      current = { ...current, runId };
      const temp = `${file}.${process.pid}.update`;
      await writeFile(temp, `${JSON.stringify(current)}\n`);
      await rename(temp, file);
    },
    async release() {
      if (released) return;
      released = true;
      const raw = await readFile(file, 'utf8').catch(() => undefined);
      if (raw !== undefined && parseHolder(raw)?.pid === process.pid)
        await unlink(file).catch(() => undefined);
    },
  };
}

/** `run run_x (pid 123, since …)` for messages. */
export function describe(holder: LockHolder): string {
  return `${holder.runId === null ? 'a run that is starting' : `run ${holder.runId}`} (pid ${holder.pid}, since ${holder.since})`;
}

/** Creates the lock with its content in one step: written aside, then hard-linked into place (never overwrites). */
async function tryCreate(file: string, holder: LockHolder): Promise<boolean> {
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.new`;
  await writeFile(temp, `${JSON.stringify(holder)}\n`);
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function takeOverStale(file: string, staleText: string): Promise<void> {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== staleText) {
    // We moved a fresh lock another process created after our read: put it back, unless yet
    // another one exists by now (link never overwrites).
    await link(aside, file).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const value = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return undefined;
    return {
      pid: value.pid,
      since: typeof value.since === 'string' ? value.since : 'an unknown time',
      runId: typeof value.runId === 'string' ? value.runId : null,
    };
  } catch {
    // Not written by a Flowline run (locks are created whole): nobody holds it.
    return undefined;
  }
}
