/**
 * The router's contract: the data plane of the local runtime. The release controller drives it
 * with in-process calls (`setRoute`, `drain`, `signals`); users reach it over HTTP by host name.
 */
import type { Clock } from '../core/clock.js';
import type { SignalStoreOptions, SignalSummary, SlotEvent, SlotSummary } from './signals.js';

/** One running instance of a revision, as the runtime started it. */
export interface InstanceSpec {
  /** Unique across the router; `drain` and `inFlight` take it. */
  readonly id: string;
  /** `http://127.0.0.1:PORT` (an origin: no path, query or credentials). */
  readonly url: string;
}

export interface BackendSpec {
  readonly revision: string;
  /**
   * Percentage of traffic, 0 to 100 with at most two decimals (0.01 % steps); the weights of a
   * route sum to 100. Kept internally as basis points (0..10000).
   */
  readonly weight: number;
  readonly instances: readonly InstanceSpec[];
}

/** Sends chosen users to a revision whatever the weights (e.g. `x-canary: 1` → the canary). */
export interface MatchRule {
  readonly header?: { readonly name: string; readonly value: string };
  readonly cookie?: { readonly name: string; readonly value: string };
  readonly revision: string;
}

export interface RouteSpec {
  readonly service: string;
  readonly environment: string;
  /** Revisions in a stable order; sticky users move monotonically as weights shift. */
  readonly backends: readonly BackendSpec[];
  /**
   * Names of the header and cookie whose value names a revision to answer (any revision in the
   * route, even at weight 0: smoke tests reach green before the switch). Defaults
   * `x-flowline-revision` and `flowline-revision`.
   */
  readonly pin?: { readonly header?: string; readonly cookie?: string };
  /** Checked in order after the pin; the first rule whose header or cookie matches wins. */
  readonly match?: readonly MatchRule[];
  /**
   * Keep each user on the revision it first got: the router sets a cookie holding the user's
   * point in 0..9999 and picks the revision whose weight band holds that point. When weights
   * shift, users only move into the growing revision; at weight 0 nobody is kept on it.
   */
  readonly sticky?: boolean;
}

/** A route as `routes()` lists it. */
export interface RouteView extends RouteSpec {
  readonly host: string;
}

/** What the router logs; pino's and Fastify's loggers fit. */
export interface RouterLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Calls `fn` every `ms` until the returned function is called. */
export type Repeat = (ms: number, fn: () => void) => () => void;

export interface RouterOptions {
  readonly clock?: Clock;
  /**
   * Runs the tick that reports closed slots to subscribers, once per fine slot. Default: an
   * unreferenced `setInterval`. Tests tick by hand, with the manual clock.
   */
  readonly repeat?: Repeat;
  readonly logger?: RouterLogger;
  /** Uniform in [0, 1); inject a seeded one for deterministic splits. Default Math.random. */
  readonly random?: () => number;
  /** Time to wait for an instance's response headers before answering 504. Default 60 s. */
  readonly upstreamTimeoutMs?: number;
  /** Attempts per request, first included, when an instance fails before answering. Default 3. */
  readonly maxAttempts?: number;
  /** Request bodies up to this size are buffered so they can be retried. Default 64 KiB. */
  readonly retryBufferBytes?: number;
  /** Name of the cookie that keeps a user's point for sticky routes. Default `flowline-sticky`. */
  readonly stickyCookie?: string;
  /** Keep-alive connections per instance at most. Default 256. */
  readonly connectionsPerInstance?: number;
  readonly signals?: SignalStoreOptions;
}

export interface Router {
  /** Starts serving; port 0 picks a free port. Throws FLOWLINE_PORT_IN_USE. */
  listen(options: { port: number; host?: string }): Promise<{ url: string; port: number }>;
  /**
   * Stops accepting connections, lets requests in flight finish (up to `graceMs`, default
   * 30 s, then cuts them), and closes the upstream pools.
   */
  close(options?: { graceMs?: number }): Promise<void>;
  /**
   * Routes `host` (case-insensitive, without port) by `route`. Atomic for new requests; requests
   * in flight finish on the instance they started on. Throws FLOWLINE_ROUTE_INVALID listing
   * every problem.
   */
  setRoute(host: string, route: RouteSpec): void;
  /** Returns whether the host had a route. */
  removeRoute(host: string): boolean;
  routes(): RouteView[];
  /**
   * Resolves once no request is in flight to the instance (at once if none is). Remove the
   * instance from every route first, or new requests keep arriving.
   */
  drain(instanceId: string): Promise<void>;
  inFlight(instanceId: string): number;
  /** Golden signals of a revision over the last `windowMs` (since it first served, without). */
  signals(
    service: string,
    environment: string,
    revision: string,
    options?: { windowMs?: number },
  ): SignalSummary;
  /** Per-slot summaries over the last `windowMs` (100 ms slots up to 10 s, 1 s slots beyond). */
  series(
    service: string,
    environment: string,
    revision: string,
    options: { windowMs: number },
  ): SlotSummary[];
  /** Per-request latencies (ms) of a revision's recent requests within `windowMs` (at most 4096). */
  latencySamples(
    service: string,
    environment: string,
    revision: string,
    options: { windowMs: number },
  ): number[];
  /** Called with each revision's summary as each 100 ms slot closes. Returns unsubscribe. */
  subscribe(listener: (event: SlotEvent) => void): () => void;
  /** Prometheus text exposition of the router's counters and latency histograms. */
  metrics(): string;
  /** `http://<host>:<port>/` once listening. */
  urlFor(host: string): string;
}
