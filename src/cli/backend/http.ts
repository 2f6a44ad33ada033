import { Readable } from 'node:stream';
import { FlowlineError, isErrorCode } from '../../core/errors.js';

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

/** The body as JSON, or undefined when it is empty or not JSON. */
async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The server's FlowlineError from an error answer (or a protocol error for a foreign body). */
async function errorOf(target: HttpTarget, response: Response): Promise<FlowlineError> {
  return toFlowlineError(target.base, response.status, await readJson(response));
}

/** A JSON request/response call; error bodies become the server's FlowlineError. */
export async function request<T>(
  target: HttpTarget,
  method: string,
  route: string,
  body?: unknown,
  headers?: Readonly<Record<string, string>>,
): Promise<T> {
  const response = await send(target, method, route, body, 30_000, headers);
  return jsonAnswer<T>(target, response);
}

/** The answer's JSON; an error body (or none) becomes the server's FlowlineError. */
async function jsonAnswer<T>(target: HttpTarget, response: Response): Promise<T> {
  const parsed = await readJson(response);
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

/** A GET whose answer is a byte stream (an artifact archive); errors come back as FlowlineErrors. */
export async function download(target: HttpTarget, route: string): Promise<Readable> {
  const response = await send(target, 'GET', route, undefined);
  if (!response.ok || response.body === null) {
    throw await errorOf(target, response);
  }
  return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
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
 * A long operation whose progress the server streams as NDJSON (server/stream.ts): each
 * progress line is handed to `onProgress` as it arrives; the last line is the result or error.
 */
export async function requestStream<T>(
  target: HttpTarget,
  route: string,
  body: unknown,
  onProgress: (line: string) => void,
  method: 'POST' | 'DELETE' = 'POST',
): Promise<T> {
  const response = await send(target, method, route, body);
  if (!(response.headers.get('content-type') ?? '').includes('ndjson') || response.body === null) {
    throw await errorOf(target, response);
  }
  const decoder = new TextDecoder();
  let buffered = '';
  let outcome: { result: T } | { error: FlowlineError } | undefined;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
      if (line.trim() === '') continue;
      const message = JSON.parse(line) as {
        type: string;
        line?: string;
        result?: T;
        status?: number;
        error?: unknown;
      };
      if (message.type === 'progress') onProgress(message.line ?? '');
      else if (message.type === 'result') outcome = { result: message.result as T };
      else if (message.type === 'error')
        outcome = { error: toFlowlineError(target.base, message.status ?? 500, message) };
    }
  }
  if (outcome === undefined) {
    throw new FlowlineError(
      'FLOWLINE_SERVER_UNREACHABLE',
      `The server at ${target.base} closed the stream before the end.`,
      {
        hint: 'The operation may still be running there: check `flowline deployments`.',
      },
    );
  }
  if ('error' in outcome) throw outcome.error;
  return outcome.result;
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
