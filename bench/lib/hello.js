// The example service (examples/hello) as a real child process on a free port.
import { fileURLToPath } from 'node:url';
import { spawnReady } from './process.js';

export const HELLO_SERVER = fileURLToPath(new URL('../../examples/hello/src/server.js', import.meta.url));

/**
 * @typedef {object} HelloInstance
 * @property {string} id
 * @property {string} url `http://127.0.0.1:PORT`
 * @property {number} port
 * @property {number | undefined} pid
 * @property {(signal?: NodeJS.Signals) => Promise<number | null>} stop SIGTERM by default: the service drains and exits 0.
 * @property {() => string} output
 */

/**
 * Starts `node examples/hello/src/server.js` with PORT=0 and resolves with the port it chose.
 * @param {{ id?: string, env?: Record<string, string>, server?: string }} [options]
 *   `server`: another entry point (e.g. the built `examples/hello/dist/server.js`).
 * @returns {Promise<HelloInstance>}
 */
export async function startHello(options = {}) {
  const id = options.id ?? `hello-${Math.random().toString(36).slice(2, 8)}`;
  const started = await spawnReady(process.execPath, [options.server ?? HELLO_SERVER], {
    ready: /listening on port (\d+)/,
    env: { ...process.env, PORT: '0', FLOWLINE_INSTANCE: id, SHUTDOWN_TIMEOUT_MS: '10000', ...options.env },
  });
  const port = Number(started.match[1]);
  return {
    id,
    url: `http://127.0.0.1:${port}`,
    port,
    pid: started.child.pid,
    stop: started.stop,
    output: started.output,
  };
}
