/**
 * The router: a node:http server in front of every environment, routing by Host to revisions and
 * their instances, with a control API the release controller calls in-process.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type Clock, systemClock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import { type InstanceGauge, renderPrometheus } from './prometheus.js';
import { type ProxyContext, proxy } from './proxy.js';
import { createSignalStore, type RevisionSignals } from './signals.js';
import { compileRoute, normaliseHost, type Route, type Table } from './table.js';
import type { Repeat, Router, RouterOptions, RouteSpec, RouteView } from './types.js';
import { type Instance, Upstreams } from './upstreams.js';

/** The default {@link Repeat}: an interval that never keeps the process alive by itself. */
const repeatOnInterval: Repeat = (ms, fn) => {
  const timer = setInterval(fn, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/** Creates a router; it serves once `listen` is called. */
export function createRouter(options: RouterOptions = {}): Router {
  const clock: Clock = options.clock ?? systemClock;
  const repeat = options.repeat ?? repeatOnInterval;
  const logger = options.logger;
  const signals = createSignalStore({
    clock,
    ...options.signals,
    onListenerError: (error) => logger?.warn({ error: String(error) }, 'a signals subscriber threw'),
  });
  const upstreams = new Upstreams({
    connections: options.connectionsPerInstance ?? 256,
    headersTimeoutMs: options.upstreamTimeoutMs ?? 60_000,
  });
  let table: Table = new Map();
  let server: http.Server | undefined;
  let port = 0;
  let closing = false;
  /** Stops the tick; set while anyone subscribes to slot events. */
  let stopTicker: (() => void) | undefined;

  const ctx: ProxyContext = {
    upstreams,
    route: (host) => table.get(host),
    random: options.random ?? Math.random,
    stickyCookie: options.stickyCookie ?? 'flowline-sticky',
    maxAttempts: options.maxAttempts ?? 3,
    retryBufferBytes: options.retryBufferBytes ?? 64 * 1024,
    logger,
    get closing() {
      return closing;
    },
  };

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const host = normaliseHost(req.headers.host);
    const route = table.get(host);
    if (route === undefined) notFound(res, host);
    else proxy(ctx, req, res, host, route);
  }

  /**
   * Anyone can ask for any host: the answer names only the host asked for (quoted and escaped,
   * so it cannot carry terminal escapes or markup), never the others the router serves.
   */
  function notFound(res: ServerResponse, host: string): void {
    const body = `Flowline router: no route for host ${JSON.stringify(host.slice(0, 255))}.\n`;
    res.writeHead(404, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'x-content-type-options': 'nosniff',
      ...(closing ? { connection: 'close' } : {}),
    });
    res.end(body);
  }

  /** Replaces the table and lets go of what it no longer refers to. */
  function swap(next: Table): void {
    table = next;
    const live = new Set<Instance>();
    const kept = new Set<RevisionSignals>();
    for (const route of next.values()) {
      for (const backend of route.backends) {
        kept.add(backend.signals);
        for (const instance of backend.instances) live.add(instance);
      }
    }
    upstreams.retainOnly(live);
    signals.prune(kept);
  }

  function startTicker(): void {
    if (stopTicker !== undefined) return;
    stopTicker = repeat(signals.fineSlotMs, () => {
      signals.tick();
      if (signals.subscribers === 0) {
        stopTicker?.();
        stopTicker = undefined;
      }
    });
  }

  return {
    async listen({ port: wanted, host = '127.0.0.1' }) {
      if (server !== undefined)
        throw new FlowlineError('FLOWLINE_INTERNAL', 'The router is already listening.');
      const s = http.createServer({ keepAlive: true, noDelay: true }, handle);
      // WebSocket and other upgrades are not proxied yet: refuse them plainly instead of hanging up.
      s.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
        socket.end('HTTP/1.1 501 Not Implemented\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', (error: NodeJS.ErrnoException) => {
          reject(
            error.code === 'EADDRINUSE'
              ? new FlowlineError('FLOWLINE_PORT_IN_USE', `Port ${wanted} on ${host} is taken.`, {
                  cause: error,
                })
              : error,
          );
        });
        s.listen(wanted, host, () => resolve());
      });
      const address = s.address();
      port = typeof address === 'object' && address !== null ? address.port : wanted;
      server = s;
      const shown = host.includes(':') ? `[${host}]` : host;
      return { url: `http://${shown}:${port}`, port };
    },

    async close({ graceMs = 30_000 } = {}) {
      closing = true;
      stopTicker?.();
      stopTicker = undefined;
      const s = server;
      server = undefined;
      if (s !== undefined) {
        const closed = new Promise<void>((resolve) => s.close(() => resolve()));
        s.closeIdleConnections();
        const timer = setTimeout(() => s.closeAllConnections(), graceMs);
        await closed;
        clearTimeout(timer);
      }
      await upstreams.closeAll(false);
    },

    setRoute(rawHost, spec: RouteSpec) {
      const host = normaliseHost(rawHost);
      const otherUrls = new Map<string, string>();
      for (const route of table.values()) {
        if (route.host === host) continue;
        for (const b of route.backends) for (const i of b.instances) otherUrls.set(i.id, i.url);
      }
      const route: Route = compileRoute(host, spec, {
        instance: (id, url) => upstreams.acquire({ id, url }),
        signals: (revision) => signals.revision(spec.service, spec.environment, revision),
        otherUrls,
      });
      const next = new Map(table);
      next.set(host, route);
      swap(next);
    },

    removeRoute(rawHost) {
      const host = normaliseHost(rawHost);
      if (!table.has(host)) return false;
      const next = new Map(table);
      next.delete(host);
      swap(next);
      return true;
    },

    routes(): RouteView[] {
      return [...table.values()]
        .sort((a, b) => a.host.localeCompare(b.host))
        .map((r) => ({ host: r.host, ...r.spec }));
    },

    drain: (instanceId) => upstreams.drain(instanceId),
    inFlight: (instanceId) => upstreams.inFlight(instanceId),

    signals: (service, environment, revision, opts) => signals.summary(service, environment, revision, opts),
    series: (service, environment, revision, { windowMs }) =>
      signals.series(service, environment, revision, windowMs),
    latencySamples: (service, environment, revision, { windowMs }) =>
      signals.latencies(service, environment, revision, windowMs),
    subscribe(listener) {
      const unsubscribe = signals.subscribe(listener);
      startTicker();
      return unsubscribe;
    },

    metrics() {
      const gauges: InstanceGauge[] = [];
      for (const route of table.values()) {
        for (const b of route.backends) {
          for (const i of b.instances) {
            gauges.push({
              service: route.spec.service,
              environment: route.spec.environment,
              revision: b.revision,
              instance: i.id,
              inFlight: i.inFlight,
            });
          }
        }
      }
      return renderPrometheus(signals.all(), gauges);
    },

    urlFor(host) {
      // Port 80 is http's own, left out as browsers do; any other is needed to get here.
      return `http://${normaliseHost(host)}${port === 80 ? '' : `:${port}`}/`;
    },
  };
}
