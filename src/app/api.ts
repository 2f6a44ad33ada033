import { buildServer, type Listening, listen } from '../server/index.js';
import type { Flowline } from './flowline.js';

/** Builds the API server from the wired application and starts listening. */
export async function startApi(
  flowline: Flowline,
  options: { port: number; host: string; logger?: boolean },
): Promise<Listening> {
  const app = await buildServer(flowline, { logger: options.logger ?? false });
  return listen(app, options);
}
