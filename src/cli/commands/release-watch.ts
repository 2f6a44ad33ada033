import { FlowlineError, isFlowlineError } from '../../core/errors.js';
import { realWaitClock, type WaitClock } from '../../core/sleep.js';
import type { ReleaseStatus } from '../backend/types.js';

/**
 * Following a release (`flowline release status <env> -w`) across a restart of the server. The
 * release carries on on the server whatever happens to this client, so a server that goes away
 * (a dropped or refused connection, or no local daemon) is waited for, with backoff and for a
 * bounded time, and following resumes after the last journal line shown, never showing one twice.
 */

/** A journal line as the API answers it. */
export type JournalLine = ReleaseStatus['journal'][number];

export interface WatchOptions {
  /** The environment, for the command that follows it again. */
  readonly environment: string;
  /** One read of the release and its newest journal lines (the backend's releaseStatus). */
  readonly read: () => Promise<ReleaseStatus>;
  /** The first read, and each read that shows another deployment: its heading. */
  readonly onRelease: (status: ReleaseStatus) => void;
  /** Journal lines not shown yet, oldest first. */
  readonly onLines: (lines: readonly JournalLine[]) => void;
  /** Said once when the server goes away and once when it is back (stderr). */
  readonly notice: (text: string) => void;
  /** Time to wait on; tests pass virtual time. Default: real time. */
  readonly wait?: WaitClock;
  /** Between reads while connected. Default 500 ms. */
  readonly pollMs?: number;
  /** How long to keep trying to reach a server that went away. Default 2 minutes. */
  readonly reconnectForMs?: number;
}

const DEFAULT_POLL_MS = 500;
export const RECONNECT_FOR_MS = 120_000;
/** Waits between attempts to reach the server: from the first, doubled up to the last. */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 5_000;

/** Follows the release until it ends; resolves with its last status. */
export async function watchRelease(options: WatchOptions): Promise<ReleaseStatus> {
  const wait = options.wait ?? realWaitClock;
  const reconnectForMs = options.reconnectForMs ?? RECONNECT_FOR_MS;
  const shown = new ShownLines();
  let deployment: string | undefined;
  for (;;) {
    const current = await readThroughOutages(options, wait, reconnectForMs);
    if (current.deployment.id !== deployment) {
      deployment = current.deployment.id;
      shown.clear();
      options.onRelease(current);
    }
    const fresh = shown.fresh(current.journal);
    if (fresh.length > 0) options.onLines(fresh);
    if (current.phase === null) return current;
    await wait.sleep(options.pollMs ?? DEFAULT_POLL_MS);
  }
}

/**
 * One read; while the server is away, tries again with backoff for up to `reconnectForMs`, then
 * gives up with FLOWLINE_SERVER_UNREACHABLE. Any other error (not found, forbidden) ends at once.
 */
async function readThroughOutages(
  options: WatchOptions,
  wait: WaitClock,
  reconnectForMs: number,
): Promise<ReleaseStatus> {
  let since: number | undefined;
  let pause = RETRY_FIRST_MS;
  for (;;) {
    try {
      const status = await options.read();
      if (since !== undefined) options.notice('reconnected: following the release again\n');
      return status;
    } catch (error) {
      if (!serverAway(error)) throw error;
      if (since === undefined) {
        since = wait.now();
        options.notice(
          `server went away; reconnecting for up to ${minutes(reconnectForMs)} (the release carries on there)…\n  ${error.message}\n`,
        );
      }
      const left = since + reconnectForMs - wait.now();
      if (left <= 0) {
        throw new FlowlineError(
          'FLOWLINE_SERVER_UNREACHABLE',
          `The Flowline server did not come back within ${minutes(reconnectForMs)}: stopped following the release. Last: ${error.message}`,
          {
            hint: `The release carries on if the server runs: once it is back (\`flowline serve\`), follow it again with \`flowline release status ${options.environment} -w\`.`,
            cause: error,
          },
        );
      }
      await wait.sleep(Math.min(pause, left));
      pause = Math.min(pause * 2, RETRY_MAX_MS);
    }
  }
}

/** A refused or dropped connection, or no local server: it may come back. */
function serverAway(error: unknown): error is FlowlineError {
  return (
    isFlowlineError(error) &&
    (error.code === 'FLOWLINE_SERVER_UNREACHABLE' || error.code === 'FLOWLINE_DAEMON_NOT_RUNNING')
  );
}

function minutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.ceil(ms / 1000)}s`;
}

/**
 * The journal lines of one release already shown. Each read answers the newest lines, which
 * overlap what was shown before (and after a reconnect may reach further back), so lines are
 * told apart by content: time, kind and message, counted, as two equal lines may be logged in the
 * same millisecond.
 */
class ShownLines {
  private readonly counts = new Map<string, number>();

  /** The lines of `window` not shown yet, in order; they count as shown from now on. */
  fresh(window: readonly JournalLine[]): JournalLine[] {
    const inWindow = new Map<string, number>();
    const fresh: JournalLine[] = [];
    for (const line of window) {
      const key = `${line.at}\u0000${line.kind}\u0000${line.message}`;
      const seen = (inWindow.get(key) ?? 0) + 1;
      inWindow.set(key, seen);
      if (seen > (this.counts.get(key) ?? 0)) {
        this.counts.set(key, seen);
        fresh.push(line);
      }
    }
    return fresh;
  }

  clear(): void {
    this.counts.clear();
  }
}
