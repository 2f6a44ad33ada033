import { rename, rm, writeFile } from 'node:fs/promises';
import { flowlineVersion } from '../core/version.js';
import { serveControl } from './control.js';
import { createRouter } from './router.js';

/**
 * The router as a process of its own (docs/adr/0011-router-process.md): the data plane outlives
 * `flowline serve`. Started detached by the control plane with
 *
 *   node dist/router/main.js <control socket> <info file>
 *
 * it serves the control API on the socket, writes the info file (pid and socket, 0600) once ready,
 * and keeps serving its last route table until told to stop, whatever happens to the control
 * plane. SIGTERM drains and stops it as `/v1/stop` does.
 */

const [socket, infoFile] = process.argv.slice(2);
if (socket === undefined || infoFile === undefined) {
  process.stderr.write('usage: node router/main.js <control socket> <info file>\n');
  process.exit(2);
}

const router = createRouter({
  logger: {
    warn: (fields, message) =>
      process.stderr.write(`${new Date().toISOString()} ${message} ${JSON.stringify(fields)}\n`),
  },
});
let stopping = false;
const stop = async (graceMs: number): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await router.close({ graceMs });
  await control.close();
  await rm(infoFile, { force: true });
  await rm(socket, { force: true });
  process.exit(0);
};
const control = await serveControl({
  router,
  socket,
  version: flowlineVersion(),
  onStop: (graceMs) => void stop(graceMs),
});
process.on('SIGTERM', () => void stop(5000));
// Detached from the terminal: a Ctrl-C meant for `flowline serve` never reaches it.
process.on('SIGINT', () => {});
const partial = `${infoFile}.${process.pid}.tmp`;
await writeFile(partial, `${JSON.stringify({ pid: process.pid, socket })}\n`, { mode: 0o600 });
await rename(partial, infoFile);
process.stderr.write(`${new Date().toISOString()} router ${process.pid} ready on ${socket}\n`);
