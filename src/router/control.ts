import { chmod, rm } from 'node:fs/promises';
import http from 'node:http';
import type { Router, RouteSpec } from './types.js';

/**
 * The router process's control API: what `flowline serve` (the control plane) asks of the data
 * plane, as JSON over HTTP on a unix socket that only Flowline's user can open (0600, in the
 * 0700 home). Users never reach it; they reach the router's own port.
 *
 *   GET    /v1/info                      pid, version, protocol, where it listens
 *   POST   /v1/listen {port, host}       start serving users (idempotent)
 *   GET    /v1/routes                    the route table
 *   PUT    /v1/routes/<host>  RouteSpec  set (replace) a route atomically
 *   DELETE /v1/routes/<host>             remove a route
 *   POST   /v1/drain {instances}         resolves once none of them has a request in flight
 *   GET    /v1/signals?…  /v1/series?…  /v1/latency?…   golden signals for release analysis
 *   GET    /metrics                      Prometheus exposition
 *   POST   /v1/stop {graceMs}            drain, close, exit
 */

/** Bumped when the control API changes incompatibly: a router of another protocol is replaced. */
export const ROUTER_PROTOCOL = 1;

export interface RouterInfo {
  readonly pid: number;
  readonly version: string;
  readonly protocol: number;
  readonly startedAt: string;
  /** Null until `listen`. */
  readonly listening: { readonly url: string; readonly port: number; readonly host: string } | null;
  readonly routes: number;
}

export interface ControlServer {
  close(): Promise<void>;
}

/** Serves the control API of `router` on `socket`; `onStop` runs after a `/v1/stop` was answered. */
export async function serveControl(options: {
  readonly router: Router;
  readonly socket: string;
  readonly version: string;
  readonly onStop: (graceMs: number) => void;
}): Promise<ControlServer> {
  const { router } = options;
  const startedAt = new Date().toISOString();
  let listening: RouterInfo['listening'] = null;

  const handle = async (method: string, url: URL, body: unknown): Promise<unknown> => {
    const route = /^\/v1\/routes\/([^/]+)$/.exec(url.pathname);
    const q = (name: string) => url.searchParams.get(name) ?? '';
    const window = () => ({ windowMs: Number(q('windowMs')) });
    if (method === 'GET' && url.pathname === '/v1/info') {
      const info: RouterInfo = {
        pid: process.pid,
        version: options.version,
        protocol: ROUTER_PROTOCOL,
        startedAt,
        listening,
        routes: router.routes().length,
      };
      return info;
    }
    if (method === 'POST' && url.pathname === '/v1/listen') {
      const { port, host } = body as { port: number; host: string };
      if (listening === null) listening = { ...(await router.listen({ port, host })), host };
      return listening;
    }
    if (method === 'GET' && url.pathname === '/v1/routes') return router.routes();
    if (method === 'PUT' && route?.[1] !== undefined) {
      router.setRoute(decodeURIComponent(route[1]), body as RouteSpec);
      return { ok: true };
    }
    if (method === 'DELETE' && route?.[1] !== undefined) {
      return { removed: router.removeRoute(decodeURIComponent(route[1])) };
    }
    if (method === 'POST' && url.pathname === '/v1/drain') {
      await Promise.all((body as { instances: string[] }).instances.map((id) => router.drain(id)));
      return { ok: true };
    }
    if (method === 'GET' && url.pathname === '/v1/signals')
      return router.signals(q('service'), q('environment'), q('revision'), window());
    if (method === 'GET' && url.pathname === '/v1/series')
      return router.series(q('service'), q('environment'), q('revision'), window());
    if (method === 'GET' && url.pathname === '/v1/latency')
      return router.latencySamples(q('service'), q('environment'), q('revision'), window());
    if (method === 'GET' && url.pathname === '/metrics') return router.metrics();
    if (method === 'POST' && url.pathname === '/v1/stop') {
      const graceMs = Number((body as { graceMs?: number } | undefined)?.graceMs ?? 5000);
      setImmediate(() => options.onStop(graceMs));
      return { stopping: true };
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://router');
      Promise.resolve()
        .then(() => handle(req.method ?? 'GET', url, text === '' ? undefined : JSON.parse(text)))
        .then(
          (answer) => {
            if (answer === undefined) {
              res
                .writeHead(404, { 'content-type': 'application/json' })
                .end('{"error":"no such control call"}');
            } else if (typeof answer === 'string') {
              res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(answer);
            } else {
              res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
            }
          },
          (error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            res
              .writeHead(400, { 'content-type': 'application/json' })
              .end(JSON.stringify({ error: message }));
          },
        );
    });
  });
  // Calls such as drain may wait long; the control plane sets its own deadlines.
  server.requestTimeout = 0;
  await rm(options.socket, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socket, () => resolve());
  });
  await chmod(options.socket, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
