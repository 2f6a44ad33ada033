import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FlowlineError } from '../../core/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Called from web pages by the browser provider: answers CORS requests (preflights included)
     * from the origins in FLOWLINE_CORS_ORIGINS. Only SDK delivery routes say so.
     */
    browser?: boolean;
  }
}

/** Request headers the browser provider sends that are not CORS-safelisted. */
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'If-None-Match', 'Last-Event-ID'];

/**
 * Lets pages from `origins` call the routes marked `browser` (the flag set, its stream, and
 * evaluation counts) with a client token. Every other route, the admin API included, never
 * answers CORS, so a browser will not let another origin's script read it. Registered before
 * authentication: a preflight carries no token and is answered before the token check.
 * `*` (any origin) is accepted when configured explicitly; client tokens are public anyway.
 * Throws FLOWLINE_SETTING_INVALID for an entry that is not an origin.
 */
export async function registerFlagCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const allowed = new Set(origins.map(normalizeOrigin));
  const anyOrigin = allowed.has('*');
  const browserRoutes: { method: string; path: RegExp }[] = [];

  app.addHook('onRoute', (route) => {
    if (route.config?.browser === true) {
      for (const method of [route.method].flat())
        browserRoutes.push({ method, path: pathPattern(route.url) });
    }
    // The plugin's catch-all preflight route must not demand a token: a preflight that gets no
    // CORS answer falls through to 404, as OPTIONS requests did before CORS was configured.
    if (route.method === 'OPTIONS' && route.url === '*') route.config = { ...route.config, access: 'public' };
  });

  const isBrowserRoute = (request: FastifyRequest): boolean => {
    if (request.method !== 'OPTIONS') return request.routeOptions.config.browser === true;
    // A preflight is routed to the catch-all: match the route it asks about, method included.
    const method = request.headers['access-control-request-method']?.toUpperCase();
    const path = request.url.split('?')[0] ?? '';
    return browserRoutes.some((route) => route.method === method && route.path.test(path));
  };

  const delegator = (
    request: FastifyRequest,
    callback: (error: Error | null, options: FastifyCorsOptions) => void,
  ) => {
    const origin = request.headers.origin;
    if (origin === undefined || !isBrowserRoute(request) || !(anyOrigin || allowed.has(origin))) {
      callback(null, { origin: false });
      return;
    }
    callback(null, {
      origin: anyOrigin ? '*' : origin,
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: ['ETag'],
      maxAge: 600,
    });
  };
  await app.register(cors, { delegator });
}

/** `https://App.example.com:443/` → `https://app.example.com`, as browsers send it in `Origin`. */
function normalizeOrigin(entry: string): string {
  if (entry === '*') return entry;
  let url: URL | undefined;
  try {
    url = new URL(entry);
  } catch {
    // reported below
  }
  const bare = url?.pathname === '/' && url.search === '' && url.hash === '' && url.username === '';
  if (url === undefined || !bare || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new FlowlineError(
      'FLOWLINE_SETTING_INVALID',
      `FLOWLINE_CORS_ORIGINS: ${JSON.stringify(entry)} is not a web origin.`,
      {
        hint: 'List origins as a browser sends them, scheme and host (and port) only, e.g. `https://app.example.com,http://localhost:5173`; `*` allows any.',
      },
    );
  }
  return url.origin;
}

/** A route URL such as `/v1/flags/:service/:environment/stream` as an anchored pattern. */
function pathPattern(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${escaped.join('/')}$`);
}
