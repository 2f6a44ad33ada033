import type { ResolvedOptions } from './options.js';
import { type SseEvent, SseParser } from './sse.js';

/** The body of `GET /v1/flags/{service}/{environment}` and the data of each stream event. */
export interface FlagSetPayload {
  readonly version: number;
  /** The set's ETag, quotes included: `"<hash>"`. */
  readonly etag: string;
  /** A FlagSetDefinition; compiled (and so validated) by the caller. */
  readonly definition: unknown;
}

/** What one request for the flag set came to. `fatal`: retrying cannot help (bad token, no access). */
export type FetchOutcome =
  | { readonly kind: 'set'; readonly payload: FlagSetPayload }
  | { readonly kind: 'retry'; readonly problem: string }
  | { readonly kind: 'fatal'; readonly problem: string };

/** Fetches the flag set. Never throws. */
export async function fetchFlagSet(options: ResolvedOptions): Promise<FetchOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`no answer within ${options.requestTimeoutMs} ms`)),
    options.requestTimeoutMs,
  );
  try {
    const headers = { ...authorization(options), accept: 'application/json' };
    const response = await options.fetch(options.flagsUrl, { headers, signal: controller.signal });
    if (!response.ok) {
      const problem = await failure(response);
      return { kind: isRefusal(response) ? 'fatal' : 'retry', problem };
    }
    const payload = readPayload(await response.json());
    return typeof payload === 'string' ? { kind: 'retry', problem: payload } : { kind: 'set', payload };
  } catch (error) {
    return { kind: 'retry', problem: `GET ${options.flagsUrl} failed: ${describeError(error)}` };
  } finally {
    clearTimeout(timer);
  }
}

/** What one stream connection came to: `connected` once the server accepted it. */
export interface StreamOutcome {
  readonly connected: boolean;
  readonly problem: string;
  readonly fatal?: boolean;
  /** The reconnection delay the server asked for with `retry:`. */
  readonly retryMs?: number;
}

export interface StreamHandlers {
  /** The server accepted the stream (200, `text/event-stream`). */
  connected(): void;
  event(event: SseEvent): void;
}

/**
 * Opens the event stream and reads it until it ends, fails, is aborted through `signal`, or stays
 * silent for `idleTimeoutMs`. Never throws; the outcome says why it ended.
 */
export async function readStream(
  options: ResolvedOptions,
  lastEventId: string | undefined,
  signal: AbortSignal,
  handlers: StreamHandlers,
): Promise<StreamOutcome> {
  const controller = new AbortController();
  const abort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  let idle: ReturnType<typeof setTimeout> | undefined;
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () => controller.abort(new Error(`nothing received for ${options.idleTimeoutMs} ms`)),
      options.idleTimeoutMs,
    );
  };
  let connected = false;
  const parser = new SseParser();
  const ended = (problem: string): StreamOutcome =>
    parser.retryMs === undefined ? { connected, problem } : { connected, problem, retryMs: parser.retryMs };
  const url = `${options.flagsUrl}/stream`;
  try {
    touch();
    const headers: Record<string, string> = { ...authorization(options), accept: 'text/event-stream' };
    if (lastEventId !== undefined && lastEventId !== '') headers['last-event-id'] = lastEventId;
    const response = await options.fetch(url, { headers, signal: controller.signal });
    if (!response.ok) return { connected, problem: await failure(response), fatal: isRefusal(response) };
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream') || response.body === null) {
      await response.body?.cancel().catch(() => {});
      return { connected, problem: `GET ${url} answered ${type || 'no content type'}, not an event stream` };
    }
    connected = true;
    handlers.connected();
    if (lastEventId !== undefined) parser.feed(`id: ${lastEventId}\n`);
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return ended('the server closed the stream');
      touch();
      for (const event of parser.feed(decoder.decode(value, { stream: true }))) handlers.event(event);
    }
  } catch (error) {
    const reason = controller.signal.aborted ? controller.signal.reason : error;
    return ended(`stream ${url}: ${describeError(reason)}`);
  } finally {
    clearTimeout(idle);
    signal.removeEventListener('abort', abort);
    if (!controller.signal.aborted) controller.abort();
  }
}

/** One flag and variant with how often it was served; the body of `POST …/evaluations` lists these. */
export interface CountEntry {
  readonly flag: string;
  readonly variant: string;
  readonly count: number;
}

/**
 * What sending counts came to. `retry`: keep them for the next flush (network, timeout, 5xx).
 * `drop`: the server will never take this batch (400, 413). `off`: it takes no counts from this
 * provider at all (401/403: token refused; 404: a server older than the endpoint).
 */
export type CountsOutcome =
  | { readonly kind: 'sent' }
  | { readonly kind: 'retry' | 'drop' | 'off'; readonly problem: string };

/** Sends one batch of evaluation counts. Never throws. */
export async function postCounts(
  options: ResolvedOptions,
  entries: readonly CountEntry[],
  keepalive = false,
): Promise<CountsOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`no answer within ${options.requestTimeoutMs} ms`)),
    options.requestTimeoutMs,
  );
  try {
    const response = await options.fetch(options.countsUrl, {
      method: 'POST',
      headers: { ...authorization(options), 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ evaluations: entries }),
      signal: controller.signal,
      // A page being hidden or closed: the browser finishes the request after the page is gone.
      ...(keepalive ? { keepalive: true } : {}),
    });
    if (response.ok) {
      await response.arrayBuffer(); // read to the end, so the connection can be reused
      return { kind: 'sent' };
    }
    const problem = await failure(response);
    if (isRefusal(response) || response.status === 404) return { kind: 'off', problem };
    return { kind: response.status >= 500 || response.status === 429 ? 'retry' : 'drop', problem };
  } catch (error) {
    return { kind: 'retry', problem: `POST ${options.countsUrl} failed: ${describeError(error)}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Checks the shape of a flag-set payload; returns a problem description when it is wrong. */
export function readPayload(json: unknown): FlagSetPayload | string {
  if (typeof json !== 'object' || json === null) return 'the flag set is not a JSON object';
  const { version, etag, definition } = json as Record<string, unknown>;
  if (typeof version !== 'number' || !Number.isInteger(version))
    return 'the flag set has no integer `version`';
  if (typeof etag !== 'string') return 'the flag set has no `etag`';
  if (typeof definition !== 'object' || definition === null) return 'the flag set has no `definition`';
  return { version, etag, definition };
}

function authorization(options: ResolvedOptions): Record<string, string> {
  return { authorization: `Bearer ${options.token}` };
}

/** 401 and 403 cannot heal by retrying: the token is wrong, revoked, or not allowed this environment. */
function isRefusal(response: Response): boolean {
  return response.status === 401 || response.status === 403;
}

/** `HTTP 403 FLOWLINE_FORBIDDEN: message` from Flowline's error body, when there is one. */
async function failure(response: Response): Promise<string> {
  let detail = '';
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = body.error ?? {};
    detail = [code, message].filter((part) => typeof part === 'string').join(': ');
  } catch {
    // Not JSON: the status says enough.
  }
  return `${response.url || 'request'} answered HTTP ${response.status}${detail === '' ? '' : ` ${detail}`}`;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}
