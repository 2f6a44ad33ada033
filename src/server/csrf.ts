import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { FlowlineError } from '../core/errors.js';

/** The dashboard's session cookie (docs/adr/0019-browser-sessions.md). */
export const SESSION_COOKIE = 'flowline_session';
/** The header a cookie-authenticated change must carry: the session's CSRF token. */
export const CSRF_HEADER = 'x-flowline-csrf';

/** Methods that change nothing: a cookie alone may authenticate them. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of the session cookie, if the request carries one (the last wins, as browsers send one). */
export function sessionCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) found = part.slice(eq + 1).trim();
  }
  return found === '' ? undefined : found;
}

/** `Set-Cookie` for a new session; `Secure` when the request came over https. */
export function sessionSetCookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure}`;
}

/** `Set-Cookie` that removes the session cookie. */
export function sessionClearCookie(request: FastifyRequest): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure}`;
}

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method);
}

/**
 * Refuses a request that comes from another origin: an `Origin` header, when the browser sends
 * one, must name this server's own host. Compared by host (with port), not scheme, so a server
 * behind a TLS-terminating proxy (which sees http) still accepts its own https pages.
 */
export function checkOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined; // `Origin: null` (a sandboxed frame, a redirect) is another origin
  }
  if (host === undefined || host === '' || host !== request.headers.host) {
    throw new FlowlineError('FLOWLINE_CSRF', 'This request comes from another origin than the dashboard.', {
      hint: 'Use the dashboard served by this Flowline, or call the API with `Authorization: Bearer <token>`.',
    });
  }
}

/**
 * The CSRF defence of a cookie-authenticated change: the `X-Flowline-CSRF` header must equal the
 * session's token (compared in constant time), and the request must come from this origin.
 * A page on another site can make the browser send the cookie, but cannot read the token.
 */
export function checkCsrf(request: FastifyRequest, csrfToken: string): void {
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sameValue(sent, csrfToken)) {
    throw new FlowlineError(
      'FLOWLINE_CSRF',
      'A change made with the dashboard session needs its X-Flowline-CSRF header.',
      {
        hint: 'Send the csrfToken of GET /v1/session as X-Flowline-CSRF; scripts use `Authorization: Bearer <token>` instead.',
      },
    );
  }
  checkOrigin(request);
}

/** Equal strings, compared without leaking where they differ. */
export function sameValue(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
