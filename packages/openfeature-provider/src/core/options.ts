import type { Logger } from '@openfeature/core';
import { type BackoffOptions, type ResolvedBackoff, resolveBackoff } from './backoff.js';

/** How a Flowline provider reaches its flag set. Shared by the Node and the browser provider. */
export interface FlowlineProviderOptions {
  /** Base URL of the Flowline API, e.g. `https://flowline.example.com` (a path prefix is kept). */
  readonly url: string;
  /** An API token; a `client` token scoped to `environment` is enough. Sent as `Authorization: Bearer`. */
  readonly token: string;
  readonly service: string;
  readonly environment: string;
  /**
   * The fetch used for the flag set, the event stream (which is read from the response body, so
   * no EventSource is needed) and evaluation counts. Default: the global `fetch`.
   */
  readonly fetch?: typeof fetch;
  /** Reconnection delays of the stream (and of the first fetch while the server is away). */
  readonly backoff?: BackoffOptions;
  /** How long the stream may be down before the provider reports STALE. Default 5,000 ms. */
  readonly staleAfterMs?: number;
  /**
   * How long `initialize` waits for a first flag set before it fails (the SDK then reports
   * ERROR); the provider keeps trying and reports READY when a set arrives. Default 10,000 ms.
   */
  readonly initTimeoutMs?: number;
  /**
   * A stream that delivers nothing for this long (the server sends a keep-alive every 15 s) is
   * taken as dead and reopened: it catches half-open connections. Default 45,000 ms.
   */
  readonly idleTimeoutMs?: number;
  /** Time limit of one flag-set request. Default 10,000 ms. */
  readonly requestTimeoutMs?: number;
  /**
   * Count evaluations per flag and variant in memory and send the counts to the server, so
   * `flowline flags list` and `flowline flags stale` see flags evaluated by apps. Default true.
   */
  readonly countEvaluations?: boolean;
  /** How often the counts are sent (they are also sent when the provider closes). Default 30,000 ms. */
  readonly countsFlushIntervalMs?: number;
  /** Receives background problems (stream lost, a set that does not compile). Default: the console. */
  readonly logger?: Logger;
}

/** A constructor option that cannot work; thrown at once so a typo never fails silently later. */
export class FlowlineProviderOptionsError extends Error {
  readonly code = 'FLOWLINE_PROVIDER_INVALID_OPTIONS';
  override readonly name = 'FlowlineProviderOptionsError';
}

export interface ResolvedOptions {
  /** `…/v1/flags/{service}/{environment}` */
  readonly flagsUrl: string;
  /** `…/v1/flags/{service}/{environment}/evaluations` */
  readonly countsUrl: string;
  readonly token: string;
  readonly fetch: typeof fetch;
  readonly backoff: ResolvedBackoff;
  readonly staleAfterMs: number;
  readonly initTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly countEvaluations: boolean;
  readonly countsFlushIntervalMs: number;
  readonly logger: Logger;
}

const consoleLogger: Logger = {
  error: (...args) => console.error('[flowline]', ...args),
  warn: (...args) => console.warn('[flowline]', ...args),
  info: () => {},
  debug: () => {},
};

const KNOWN = new Set([
  'url',
  'token',
  'service',
  'environment',
  'fetch',
  'backoff',
  'staleAfterMs',
  'initTimeoutMs',
  'idleTimeoutMs',
  'requestTimeoutMs',
  'countEvaluations',
  'countsFlushIntervalMs',
  'logger',
]);

/** Checks the options and fills in defaults; throws FlowlineProviderOptionsError listing every problem. */
export function resolveOptions(options: FlowlineProviderOptions): ResolvedOptions {
  const problems: string[] = [];
  if (typeof options !== 'object' || options === null) {
    throw new FlowlineProviderOptionsError('Flowline provider: options must be an object.');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) problems.push(`unknown option \`${key}\``);
  }
  let base: URL | undefined;
  try {
    base = new URL(options.url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      problems.push(`\`url\` must be http(s), got ${base.protocol}`);
    }
  } catch {
    problems.push(
      `\`url\` must be an absolute URL such as https://flowline.example.com, got ${String(options.url)}`,
    );
  }
  for (const key of ['token', 'service', 'environment'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '')
      problems.push(`\`${key}\` must be a non-empty string`);
  }
  const fetchImpl = options.fetch ?? (typeof fetch === 'function' ? fetch : undefined);
  if (typeof fetchImpl !== 'function') problems.push('no global `fetch`: pass one as `fetch`');
  const durations = {
    staleAfterMs: options.staleAfterMs ?? 5_000,
    initTimeoutMs: options.initTimeoutMs ?? 10_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 45_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
  };
  for (const [key, value] of Object.entries(durations)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      problems.push(`\`${key}\` must be a number of milliseconds ≥ 0, got ${String(value)}`);
    }
  }
  const countsFlushIntervalMs = options.countsFlushIntervalMs ?? 30_000;
  if (
    typeof countsFlushIntervalMs !== 'number' ||
    !Number.isFinite(countsFlushIntervalMs) ||
    countsFlushIntervalMs <= 0
  ) {
    problems.push(
      `\`countsFlushIntervalMs\` must be a number of milliseconds > 0, got ${String(countsFlushIntervalMs)}`,
    );
  }
  const countEvaluations = options.countEvaluations ?? true;
  if (typeof countEvaluations !== 'boolean') {
    problems.push(`\`countEvaluations\` must be true or false, got ${String(countEvaluations)}`);
  }
  let backoff: ResolvedBackoff | undefined;
  try {
    backoff = resolveBackoff(options.backoff);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0 || base === undefined || fetchImpl === undefined || backoff === undefined) {
    throw new FlowlineProviderOptionsError(`Flowline provider: ${problems.join('; ')}.`);
  }
  const prefix = `${base.origin}${base.pathname}`.replace(/\/+$/, '');
  const path = `${encodeURIComponent(options.service)}/${encodeURIComponent(options.environment)}`;
  return {
    flagsUrl: `${prefix}/v1/flags/${path}`,
    countsUrl: `${prefix}/v1/flags/${path}/evaluations`,
    token: options.token,
    // Called bare: some fetch implementations (browsers) throw when `this` is another object.
    fetch: (input, init) => fetchImpl(input, init),
    backoff,
    ...durations,
    countEvaluations,
    countsFlushIntervalMs,
    logger: options.logger ?? consoleLogger,
  };
}
