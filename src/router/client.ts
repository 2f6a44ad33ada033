import { Agent, request } from 'undici';
import { FlowlineError } from '../core/errors.js';
import type { RouterInfo } from './control.js';
import type { SignalSummary, SlotSummary } from './signals.js';
import type { RouteSpec, RouteView } from './types.js';

/**
 * The router process as the control plane drives it (control.ts is the other side). Every call
 * is a request on the control socket; a router that does not answer is FLOWLINE_ROUTER_UNAVAILABLE.
 */
export interface RouterControl {
  readonly socket: string;
  info(): Promise<RouterInfo>;
  listen(port: number, host: string): Promise<{ url: string; port: number; host: string }>;
  setRoute(host: string, route: RouteSpec): Promise<void>;
  removeRoute(host: string): Promise<boolean>;
  routes(): Promise<RouteView[]>;
  /** Resolves once none of these instances has a request in flight. */
  drain(instanceIds: readonly string[]): Promise<void>;
  signals(service: string, environment: string, revision: string, windowMs: number): Promise<SignalSummary>;
  series(service: string, environment: string, revision: string, windowMs: number): Promise<SlotSummary[]>;
  latencySamples(service: string, environment: string, revision: string, windowMs: number): Promise<number[]>;
  metrics(): Promise<string>;
  /** Asks the router to drain and exit; resolves once it answered (its exit follows). */
  stop(graceMs: number): Promise<void>;
  /** Closes this client's connections; the router keeps running. */
  close(): Promise<void>;
}

/** Calls that answer at once; drain waits as long as requests are in flight. */
const CALL_TIMEOUT_MS = 10_000;

export function routerControl(socket: string): RouterControl {
  const agent = new Agent({ connect: { socketPath: socket }, keepAliveTimeout: 30_000 });
  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    timeoutMs: number | null = CALL_TIMEOUT_MS,
  ): Promise<unknown> => {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(`http://router${path}`, {
        method,
        dispatcher: agent,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: timeoutMs ?? 0,
        bodyTimeout: timeoutMs ?? 0,
      });
    } catch (error) {
      throw new FlowlineError(
        'FLOWLINE_ROUTER_UNAVAILABLE',
        `The router does not answer on ${socket}: ${(error as Error).message}.`,
        {
          hint: 'Restart `flowline serve`: it starts the router again and rebuilds every route from the store.',
          cause: error,
        },
      );
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      throw new FlowlineError(
        'FLOWLINE_INTERNAL',
        `The router refused ${method} ${path} (${res.statusCode}): ${text}`,
      );
    }
    return (res.headers['content-type'] ?? '').toString().startsWith('application/json')
      ? JSON.parse(text)
      : text;
  };
  const query = (service: string, environment: string, revision: string, windowMs: number) =>
    new URLSearchParams({ service, environment, revision, windowMs: String(windowMs) }).toString();
  const route = (host: string) => `/v1/routes/${encodeURIComponent(host)}`;
  return {
    socket,
    info: async () => (await call('GET', '/v1/info')) as RouterInfo,
    listen: async (port, host) =>
      (await call('POST', '/v1/listen', { port, host })) as { url: string; port: number; host: string },
    async setRoute(host, spec) {
      await call('PUT', route(host), spec);
    },
    removeRoute: async (host) => ((await call('DELETE', route(host))) as { removed: boolean }).removed,
    routes: async () => (await call('GET', '/v1/routes')) as RouteView[],
    async drain(instanceIds) {
      if (instanceIds.length > 0) await call('POST', '/v1/drain', { instances: instanceIds }, null);
    },
    signals: async (service, environment, revision, windowMs) =>
      (await call('GET', `/v1/signals?${query(service, environment, revision, windowMs)}`)) as SignalSummary,
    series: async (service, environment, revision, windowMs) =>
      (await call('GET', `/v1/series?${query(service, environment, revision, windowMs)}`)) as SlotSummary[],
    latencySamples: async (service, environment, revision, windowMs) =>
      (await call('GET', `/v1/latency?${query(service, environment, revision, windowMs)}`)) as number[],
    metrics: async () => (await call('GET', '/metrics')) as string,
    async stop(graceMs) {
      await call('POST', '/v1/stop', { graceMs });
    },
    close: () => agent.close(),
  };
}
