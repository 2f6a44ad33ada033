import { PassThrough, Readable } from 'node:stream';
import { FlowlineError, isErrorCode, isFlowlineError } from '../../core/errors.js';

/** Transport shared by the remote backend and the local daemon client. */
export interface HttpTarget {
  readonly base: string;
  readonly token: string | undefined;
}

async function send(
  target: HttpTarget,
  method: string,
  route: string,
  body: unknown,
  timeoutMs?: number,
  extra: Readonly<Record<string, string>> = {},
): Promise<Response> {
  const headers = headersFor(target, { accept: 'application/json, application/x-ndjson', ...extra });
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    return await fetch(target.base + route, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
    });
  } catch (error) {
    throw unreachable(target, error);
  }
}

/** `base` plus the bearer token, when the target has one. */
function headersFor(target: HttpTarget, base: Record<string, string>): Record<string, string> {
  return target.token === undefined ? base : { ...base, authorization: `Bearer ${target.token}` };
}

/**
 * The body as JSON, or undefined when it is empty or not JSON. A connection that drops while the
 * body is read is FLOWLINE_SERVER_UNREACHABLE: the request may have done its work.
 */
async function readJson(target: HttpTarget, response: Response): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw dropped(target, 'the request', error, {
      hint: 'It may have taken effect there: check its result before repeating it.',
    });
  }
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The server's FlowlineError from an error answer (or a protocol error for a foreign body). */
async function errorOf(target: HttpTarget, response: Response): Promise<FlowlineError> {
  return toFlowlineError(target.base, response.status, await readJson(target, response));
}

/** A JSON request/response call; error bodies become the server's FlowlineError. */
export async function request<T>(
  target: HttpTarget,
  method: string,
  route: string,
  body?: unknown,
  headers?: Readonly<Record<string, string>>,
  timeoutMs = 30_000,
): Promise<T> {
  const response = await send(target, method, route, body, timeoutMs, headers);
  return jsonAnswer<T>(target, response);
}

/**
 * `GET route` with `If-None-Match: etag`: `undefined` when the server answers 304 (it holds
 * exactly that version), else the JSON body. Errors as {@link request}.
 */
export async function getUnlessMatch<T>(
  target: HttpTarget,
  route: string,
  etag: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<T | undefined> {
  const response = await send(target, 'GET', route, undefined, 30_000, { ...headers, 'if-none-match': etag });
  if (response.status !== 304) return jsonAnswer<T>(target, response);
  await response.body?.cancel();
  return undefined;
}

/** The answer's JSON; an error body (or none) becomes the server's FlowlineError. */
async function jsonAnswer<T>(target: HttpTarget, response: Response): Promise<T> {
  const parsed = await readJson(target, response);
  if (response.ok && parsed !== undefined) return parsed as T;
  throw toFlowlineError(target.base, response.status, parsed);
}

/**
 * Sends a streamed body (an artifact archive, a log file) without holding it in memory; the
 * answer is JSON like `request`. No time limit: a large upload takes as long as it takes.
 */
export async function upload<T>(
  target: HttpTarget,
  method: 'PUT' | 'POST',
  route: string,
  body: Readable,
  contentType: string,
): Promise<T> {
  const headers = headersFor(target, { accept: 'application/json', 'content-type': contentType });
  let response: Response;
  try {
    response = await fetch(target.base + route, {
      method,
      headers,
      body: Readable.toWeb(body) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
  } catch (error) {
    body.destroy();
    throw unreachable(target, error);
  }
  return jsonAnswer<T>(target, response);
}

/**
 * A GET whose answer is a byte stream (an artifact archive); errors come back as FlowlineErrors,
 * a connection that drops mid-stream as FLOWLINE_SERVER_UNREACHABLE from the stream.
 */
export async function download(target: HttpTarget, route: string): Promise<Readable> {
  const response = await send(target, 'GET', route, undefined);
  if (!response.ok || response.body === null) {
    throw await errorOf(target, response);
  }
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  const out = new PassThrough();
  body.on('error', (error) =>
    out.destroy(dropped(target, 'the download', error, { hint: 'Run the command again.' })),
  );
  return body.pipe(out);
}

function unreachable(target: HttpTarget, error: unknown): FlowlineError {
  return new FlowlineError(
    'FLOWLINE_SERVER_UNREACHABLE',
    `Cannot reach the Flowline server at ${target.base}.`,
    {
      hint: 'Check that `flowline serve` runs there and that --server / FLOWLINE_URL is right.',
      cause: error,
    },
  );
}

/**
 * A connection lost after the request was sent (reset, closed, a body cut short): the server may
 * have acted on it, so the message says the outcome is unknown and the hint how to find it out.
 */
function dropped(
  target: HttpTarget,
  what: string,
  error: unknown,
  { hint }: { hint: string },
): FlowlineError {
  return new FlowlineError(
    'FLOWLINE_SERVER_UNREACHABLE',
    `The Flowline server at ${target.base} went away before ${what} finished (the connection dropped: ${reasonOf(error)}): its outcome is unknown here.`,
    { hint, cause: error },
  );
}

/** Errors that mean the request never reached a server, so nothing can have happened there. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The innermost cause's code or message: undici wraps socket errors in `TypeError: terminated`. */
function reasonOf(error: unknown): string {
  let inner = error;
  while (inner instanceof Error && inner.cause !== undefined) inner = inner.cause;
  const code = (inner as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return inner instanceof Error ? inner.message : 'the stream ended without its last line';
}

/** What a streamed call does, for the message when its connection drops mid-way. */
export interface StreamCall {
  /** E.g. `the deploy to staging`. */
  readonly what: string;
  /**
   * What becomes of it on the server and how to find out, e.g. that a release carries on and
   * `flowline release status staging -w` follows it again.
   */
  readonly hint: string;
  readonly method?: 'POST' | 'DELETE';
}

/**
 * A long operation whose progress the server streams as NDJSON (server/stream.ts): each
 * progress line is handed to `onProgress` as it arrives; the last line is the result or error.
 * The server carries on when the client goes away, so a connection that drops before the last
 * line (the server stopped, a reset, a proxy timeout) leaves the outcome unknown: that is
 * FLOWLINE_SERVER_UNREACHABLE saying how to check, never an internal error.
 */
export async function requestStream<T>(
  target: HttpTarget,
  route: string,
  body: unknown,
  onProgress: (line: string) => void,
  call: StreamCall,
): Promise<T> {
  const lost = (error: unknown) => dropped(target, call.what, error, { hint: call.hint });
  let response: Response;
  try {
    response = await send(target, call.method ?? 'POST', route, body);
  } catch (error) {
    // Refused before sending: nothing started. Anything else may have reached the server.
    if (isFlowlineError(error) && NEVER_SENT.has(reasonOf(error))) throw error;
    throw lost(error);
  }
  if (!(response.headers.get('content-type') ?? '').includes('ndjson') || response.body === null) {
    throw await errorOf(target, response);
  }
  let outcome: { result: T } | { error: FlowlineError } | undefined;
  try {
    for await (const line of ndjsonLines(response.body as unknown as AsyncIterable<Uint8Array>)) {
      const message = parseLine(target, line);
      if (message.type === 'progress') onProgress(message.line ?? '');
      else if (message.type === 'result') outcome = { result: message.result as T };
      else if (message.type === 'error')
        outcome = { error: toFlowlineError(target.base, message.status ?? 500, message) };
    }
  } catch (error) {
    if (isFlowlineError(error)) throw error;
    throw lost(error);
  }
  if (outcome === undefined) throw lost(undefined);
  if ('error' in outcome) throw outcome.error;
  return outcome.result;
}

/** Complete lines of a byte stream; a last line without its newline was cut short and is dropped. */
async function* ndjsonLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of chunks) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
      if (line.trim() !== '') yield line;
    }
  }
}

interface StreamMessage {
  type: string;
  line?: string;
  result?: unknown;
  status?: number;
  error?: unknown;
}

function parseLine(target: HttpTarget, line: string): StreamMessage {
  try {
    const message = JSON.parse(line) as StreamMessage | null;
    if (message !== null && typeof message === 'object' && typeof message.type === 'string') return message;
  } catch {
    // reported below
  }
  throw new FlowlineError(
    'FLOWLINE_SERVER_PROTOCOL',
    `The server at ${target.base} sent a progress line that is not Flowline's: ${JSON.stringify(line.slice(0, 200))}.`,
    { hint: 'Is --server / FLOWLINE_URL pointing at a Flowline server (try /v1/health)?' },
  );
}

export function toFlowlineError(base: string, status: number, parsed: unknown): FlowlineError {
  const error = (
    parsed as { error?: { code?: unknown; message?: unknown; hint?: unknown; issues?: unknown } }
  )?.error;
  if (error !== undefined && typeof error.code === 'string' && isErrorCode(error.code)) {
    return new FlowlineError(error.code, String(error.message ?? ''), {
      ...(typeof error.hint === 'string' ? { hint: error.hint } : {}),
      ...(Array.isArray(error.issues) ? { issues: error.issues } : {}),
    });
  }
  return new FlowlineError(
    'FLOWLINE_SERVER_PROTOCOL',
    `The server at ${base} answered HTTP ${status} with a body that is not a Flowline API response.`,
    { hint: 'Is --server / FLOWLINE_URL pointing at a Flowline server (try /v1/health)?' },
  );
}

/** `?a=1&b=2` from the defined members of `params` (empty when none is). */
export function query(params: object): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
