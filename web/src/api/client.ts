/**
 * The dashboard's only way to the server: the public HTTP API, same origin, authenticated by the
 * HttpOnly session cookie. Every state-changing request carries the session's CSRF token in
 * `X-Flowline-CSRF` (docs/adr/0019-browser-sessions.md); the server refuses it otherwise.
 */

/** An error as the API answers it (docs/api.md#errors), kept whole so views can show code, path and hint. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;
  readonly issues: readonly ApiIssue[];

  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.hint = body.hint;
    this.issues = body.issues ?? [];
  }
}

export interface ApiIssue {
  readonly code?: string;
  readonly message: string;
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
  readonly hint?: string;
}

export interface ApiErrorBody {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  readonly issues?: readonly ApiIssue[];
}

/** Raised when the server cannot be reached at all (restarting, network down). */
export class ServerUnreachableError extends Error {
  constructor(cause: unknown) {
    super('The Flowline server cannot be reached.', { cause });
    this.name = 'ServerUnreachableError';
  }
}

let csrfToken: string | undefined;
const unauthorizedListeners = new Set<() => void>();

/** Set after sign-in (and after reading the session on load); cleared at sign-out. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when any request answers 401: the session expired or its token was revoked. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** Tells every listener the session is gone (the live stream found out before any request did). */
export function announceUnauthorized(): void {
  for (const listener of unauthorizedListeners) listener();
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Do not announce a 401 (the session probe on load expects one when signed out). */
  readonly quiet401?: boolean;
}

/** Calls the API and returns its JSON; throws ApiError for an error answer. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  const text = await response.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/**
 * Calls a route that streams NDJSON progress (deploy, rollback) and hands each line to
 * `onLine`; resolves with the `result` line, throws the `error` line as an ApiError.
 */
export async function apiStream<T>(
  path: string,
  options: RequestOptions & { readonly onLine?: (line: string) => void },
): Promise<T> {
  const response = await send(path, options);
  const reader = response.body?.getReader();
  if (reader === undefined)
    throw new ApiError(response.status, { code: 'FLOWLINE_INTERNAL', message: 'empty answer' });
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (value !== undefined) buffered += decoder.decode(value, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
      if (line.trim() === '') continue;
      const parsed = JSON.parse(line) as
        | { type: 'progress'; line: string }
        | { type: 'result'; result: T }
        | { type: 'error'; status: number; error: ApiErrorBody };
      if (parsed.type === 'progress') options.onLine?.(parsed.line);
      else if (parsed.type === 'result') return parsed.result;
      else throw new ApiError(parsed.status, parsed.error);
    }
    if (done) break;
  }
  throw new ApiError(response.status, {
    code: 'FLOWLINE_SERVER_UNREACHABLE',
    message: 'The server closed the stream before the operation ended.',
    hint: 'The operation carries on on the server; reload to see where it is.',
  });
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== undefined) headers['x-flowline-csrf'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ServerUnreachableError(error);
  }
  if (response.ok) return response;
  const body = await errorBody(response);
  if (response.status === 401 && options.quiet401 !== true)
    for (const listener of unauthorizedListeners) listener();
  throw new ApiError(response.status, body);
}

async function errorBody(response: Response): Promise<ApiErrorBody> {
  try {
    const parsed = (await response.json()) as { error?: ApiErrorBody };
    if (parsed.error?.code !== undefined) return parsed.error;
  } catch {
    // Not our JSON (a proxy's page): described below.
  }
  return {
    code: `HTTP_${response.status}`,
    message: `The server answered ${response.status} ${response.statusText}.`,
  };
}

/** A query string from defined, non-empty values only. */
export function query(
  params: Readonly<Record<string, string | number | boolean | undefined | null>>,
): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
