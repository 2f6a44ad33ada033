/** Helpers of the router's end-to-end tests: small backends on port 0 and a client that sets Host. */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { createRouter, type Router, type RouterOptions, type RouteSpec } from '../../src/router/index.js';

export interface Backend {
  readonly id: string;
  readonly url: string;
  readonly port: number;
  /** Requests seen, with their headers. */
  readonly seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  /** Requests whose connection closed before the backend answered (client aborts reaching it). */
  readonly cutShort: string[];
  close(): Promise<void>;
}

/**
 * A backend answering: `/slow?ms=N` after N ms, `/hang` never, `/status/N` with status N, `/echo` its request body back
 * (streamed), `/big?mb=N` N MiB of bytes, anything else a JSON description of the request.
 */
export async function startBackend(id: string): Promise<Backend> {
  const seen: Backend['seen'] = [];
  const cutShort: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res.on('close', () => {
      if (!res.writableFinished) cutShort.push(url.pathname);
    });
    if (url.pathname === '/hang') return;
    if (url.pathname.startsWith('/status/')) {
      res.writeHead(Number(url.pathname.slice('/status/'.length)) || 500);
      res.end();
      return;
    }
    if (url.pathname === '/slow') {
      setTimeout(() => res.end(`slow from ${id}`), Number(url.searchParams.get('ms') ?? 500));
      return;
    }
    if (url.pathname === '/echo') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.pipe(res);
      return;
    }
    if (url.pathname === '/big') {
      const chunk = Buffer.alloc(64 * 1024, 7);
      let left = Number(url.searchParams.get('mb') ?? 5) * 16;
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const pump = () => {
        while (left > 0) {
          left--;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-backend': id });
    res.end(JSON.stringify({ id, method: req.method, url: req.url, headers: req.headers }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    id,
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    cutShort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A route of one or more revisions, each a list of backends. */
export function routeOf(
  revisions: Record<string, { weight: number; backends: readonly { id: string; url: string }[] }>,
  extra: Partial<RouteSpec> = {},
): RouteSpec {
  return {
    service: 'shop',
    environment: 'staging',
    backends: Object.entries(revisions).map(([revision, r]) => ({
      revision,
      weight: r.weight,
      instances: r.backends.map((b) => ({ id: b.id, url: b.url })),
    })),
    ...extra,
  };
}

export interface Harness {
  readonly router: Router;
  readonly port: number;
  /** Sends a request to the router with the given Host header. */
  send(
    host: string,
    path: string,
    options?: {
      method?: 'GET' | 'POST' | 'HEAD';
      headers?: Record<string, string>;
      body?: string | Buffer;
      signal?: AbortSignal;
    },
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>;
  close(): Promise<void>;
}

/** A listening router and a client for it. */
export async function startRouter(options: RouterOptions = {}): Promise<Harness> {
  const router = createRouter(options);
  const { port } = await router.listen({ port: 0, host: '127.0.0.1' });
  const agent = new Agent({ keepAliveTimeout: 1000 });
  return {
    router,
    port,
    async send(host, path, opts = {}) {
      const res = await request(`http://127.0.0.1:${port}${path}`, {
        method: opts.method ?? 'GET',
        headers: { ...opts.headers, host },
        dispatcher: agent,
        ...(opts.body === undefined ? {} : { body: opts.body }),
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers: res.headers, body };
    },
    async close() {
      await agent.close();
      await router.close({ graceMs: 1000 });
    },
  };
}

/** Sends raw HTTP/1.1 bytes (for headers a client library would rewrite) and resolves with the raw answer. */
export function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** Waits until `check` returns true, polling every 10 ms, or throws after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
