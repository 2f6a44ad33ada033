/**
 * What the HTTP providers (Prometheus, web) share: placeholders filled with escaping, bounded
 * reading of answers, and errors that say what could not be reached without leaking secrets from
 * URLs.
 */

/** The `fetch` the providers use; injected so a test or a proxy-aware client can stand in. */
export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export interface TemplateVars {
  readonly service: string;
  readonly environment: string;
  readonly revision: string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Replaces `{{service}}`, `{{environment}}`, `{{revision}}`, escaping each value with `escapeValue`. */
export function fillTemplate(
  text: string,
  vars: TemplateVars,
  escapeValue: (value: string) => string,
): { ok: true; text: string } | { ok: false; message: string } {
  const unknown = [...text.matchAll(PLACEHOLDER)]
    .map((m) => m[1] ?? '')
    .find((name) => !Object.hasOwn(vars, name));
  if (unknown !== undefined) {
    return {
      ok: false,
      message: `unknown placeholder \`{{${unknown}}}\`; known: {{service}}, {{environment}}, {{revision}}`,
    };
  }
  return {
    ok: true,
    text: text.replace(PLACEHOLDER, (_, name: string) => escapeValue(vars[name as keyof TemplateVars])),
  };
}

/** True when `text` uses `{{revision}}`: the baseline can then be measured with the stable revision. */
export function namesRevision(text: string): boolean {
  return [...text.matchAll(PLACEHOLDER)].some((m) => m[1] === 'revision');
}

/** Escapes a value for a PromQL string literal in double or single quotes. */
export function promqlString(value: string): string {
  return value.replace(/[\\"'\n\r\t]/g, (ch) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[ch] ?? `\\${ch}`);
}

/** Escapes a value for the inside of a JSON string. */
export function jsonString(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/** Reads at most `limit` bytes of a body as text; longer answers are an error, not a memory spike. */
export async function readText(response: Response, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`the answer is larger than ${Math.round(limit / 1024)} KiB`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `http://host:9090/api/v1/query`: the URL without credentials or query string (they may hold secrets). */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

/** Why a fetch failed, in words: `connection refused`, `timed out`, or the cause's code. */
export function fetchFailure(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'aborted (timed out or stopped)';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    ECONNRESET: 'connection reset',
    EAI_AGAIN: 'host name lookup failed',
  };
  if (code !== undefined) return known[code] ?? code;
  const message =
    typeof cause?.message === 'string'
      ? cause.message
      : error instanceof Error
        ? error.message
        : String(error);
  return message;
}
