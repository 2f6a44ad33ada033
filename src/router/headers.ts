/**
 * Header rewriting between client and instance: hop-by-hop headers (RFC 9110 §7.6.1, plus those
 * a `Connection` header names) never cross the proxy; `x-forwarded-*` tell the instance who asked.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** Response header naming the revision that answered. */
export const REVISION_HEADER = 'x-flowline-revision';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  // Node answers `100 Continue` itself; undici refuses to send `expect`.
  'expect',
]);

function listed(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined || connection === 'keep-alive' || connection === 'close') return undefined;
  const text = Array.isArray(connection) ? connection.join(',') : connection;
  const names = text
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive');
  return names.length === 0 ? undefined : new Set(names);
}

/** The headers sent to the instance: the client's, minus hop-by-hop, plus `x-forwarded-*`. Host is kept. */
export function upstreamHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const src = req.headers;
  const drop = listed(src.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in src) {
    const value = src[name];
    if (value === undefined || HOP_BY_HOP.has(name) || drop?.has(name)) continue;
    out[name] = value;
  }
  const remote = req.socket.remoteAddress ?? '';
  const prior = src['x-forwarded-for'];
  out['x-forwarded-for'] =
    prior === undefined ? remote : `${Array.isArray(prior) ? prior.join(', ') : prior}, ${remote}`;
  if (src.host !== undefined) out['x-forwarded-host'] = src.host;
  out['x-forwarded-proto'] = 'http';
  return out;
}

/**
 * The headers sent to the client, as a flat `[name, value, …]` list for `writeHead`: the
 * instance's minus hop-by-hop, with `x-flowline-revision` and an optional Set-Cookie added.
 */
export function clientHeaders(
  headers: IncomingHttpHeaders,
  revision: string,
  setCookie: string | undefined,
  close: boolean,
): string[] {
  const drop = listed(headers.connection);
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || drop?.has(name) || name === REVISION_HEADER) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  out.push(REVISION_HEADER, revision);
  if (setCookie !== undefined) out.push('set-cookie', setCookie);
  if (close) out.push('connection', 'close');
  return out;
}
