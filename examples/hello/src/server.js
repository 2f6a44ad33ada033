import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createApp } from './app.js';

/**
 * Entry point: listens on $PORT (Flowline assigns it), stops gracefully on SIGTERM: health turns
 * 503, the listener closes, in-flight requests finish, then the process exits 0.
 */

const env = process.env;
const port = parsePort(env.PORT);
if (port === undefined) {
  process.stderr.write(
    `hello: PORT must be set to a port number (got ${JSON.stringify(env.PORT ?? null)}); ` +
      'Flowline passes it when it starts an instance. Try: PORT=8080 npm start\n',
  );
  process.exit(2);
}

const build = readBuildInfo();
const info = {
  service: 'hello',
  version: build.version ?? 'dev',
  revision: build.revision ?? 'unknown',
  artifact: env.FLOWLINE_ARTIFACT ?? null,
  instance: env.FLOWLINE_INSTANCE ?? `local-${process.pid}`,
  startedAt: new Date().toISOString(),
};

let app;
try {
  app = createApp({ info, env });
} catch (error) {
  process.stderr.write(`hello: ${error instanceof Error ? error.message : error}\n`);
  process.exit(2);
}

const server = http.createServer(app.handle);
server.listen(port, () => {
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(`hello ${info.version} (revision ${info.revision}) listening on port ${bound}\n`);
});
server.on('error', (error) => {
  process.stderr.write(`hello: cannot listen on port ${port}: ${error.message}\n`);
  process.exit(1);
});

const graceMs = Number(env.SHUTDOWN_TIMEOUT_MS ?? 10_000);
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`hello: ${signal}, finishing in-flight requests\n`);
    app.startDraining();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => {
      process.stderr.write(`hello: requests still running after ${graceMs}ms, exiting\n`);
      server.closeAllConnections();
      process.exit(1);
    }, graceMs).unref();
  });
}

const crashAfter = Number(env.FAULT_CRASH_AFTER_MS ?? 0);
if (crashAfter > 0) {
  setTimeout(() => {
    process.stderr.write(`hello: crashing on purpose (FAULT_CRASH_AFTER_MS=${crashAfter})\n`);
    process.exit(70);
  }, crashAfter);
}

/** @param {string | undefined} value */
function parsePort(value) {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n <= 65535 ? n : undefined;
}

/** build-info.json is written next to this file by `npm run build`; absent when run from src/. */
function readBuildInfo() {
  try {
    return JSON.parse(readFileSync(new URL('./build-info.json', import.meta.url), 'utf8'));
  } catch {
    return {};
  }
}
