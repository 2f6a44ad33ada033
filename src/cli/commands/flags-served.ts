import { FlowlineError } from '../../core/errors.js';
import { realWaitClock, type WaitClock } from '../../core/sleep.js';
import type { FlagDocument } from '../../flags/service/index.js';
import type { FlagClient } from '../backend/types.js';
import { printable } from '../output.js';

/** How long a flag command waits for the server to serve its change before it gives up. */
export const SERVED_WITHIN_MS = 10_000;

/**
 * Read your writes: returns once the server's flag-set endpoint (and so its evaluate endpoints,
 * which answer from the same set in memory) serves at least the version `written`.
 *
 * One server answers at once: a change made through it is in memory before the write answers,
 * and a change written to its store by the embedded CLI is fetched when asked for
 * (`X-Flowline-Min-Version`). The loop is for what may stand between: a server that cannot reach
 * its store for a moment, or, later, a replica behind a load balancer that has not caught up.
 * It says once on stderr what it waits for, and gives up after {@link SERVED_WITHIN_MS}.
 */
export async function untilServed(
  flags: Pick<FlagClient, 'servedVersion'>,
  written: FlagDocument,
  progress: (line: string) => void,
  wait: WaitClock = realWaitClock,
): Promise<void> {
  const deadline = wait.now() + SERVED_WITHIN_MS;
  const where = printable(`${written.service}/${written.environment}`);
  let delayMs = 50;
  let told = false;
  for (;;) {
    const served = await flags.servedVersion(written);
    if (served === undefined || served >= written.version) return;
    if (wait.now() >= deadline) {
      throw new FlowlineError(
        'FLOWLINE_FLAGS_NOT_SERVED',
        `Version ${written.version} of ${where} is written, but the server still serves version ${served} after ${SERVED_WITHIN_MS / 1000} s.`,
        {
          hint: 'Check that the server runs and reaches its store; repeating the command changes nothing twice.',
        },
      );
    }
    if (!told) {
      progress(
        `… waiting for the server to serve version ${written.version} of ${where} (it serves ${served})`,
      );
      told = true;
    }
    await wait.sleep(Math.min(delayMs, Math.max(0, deadline - wait.now())));
    delayMs = Math.min(delayMs * 2, 1000);
  }
}
