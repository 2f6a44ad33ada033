import { buildServer, type Listening, listen } from '../server/index.js';
import type { Flowline } from './flowline.js';

/** Builds the API server from the wired application and starts listening. */
export async function startApi(
  flowline: Flowline,
  options: { port: number; host: string; logger?: boolean },
): Promise<Listening> {
  const app = await buildServer(flowline, { logger: options.logger ?? false });
  const listening = await listen(app, options);
  flowline.flags.start(); // count evaluations, and see flag changes other processes write
  return listening;
}
