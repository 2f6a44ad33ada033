import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { handleNotFound } from './errors.js';

/** Headers of every HTML answer: the page runs only its own scripts and talks only to this server. */
export const HTML_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flowline: dashboard not built</title></head>
<body><h1>The Flowline dashboard is not built</h1>
<p>This server runs, and its API answers under <code>/v1/</code>, but it found no built dashboard
(no <code>index.html</code> in its dashboard folder).</p>
<p>Build it with <code>npm run build</code> and reload this page.</p></body></html>
`;

/** A file name at the top of the folder (a favicon, robots.txt): no folders, nothing hidden. */
const TOP_FILE = /^\/[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * The dashboard from the same port as the API: `/` and any other GET a browser navigates to
 * (Accept: text/html) outside `/v1/` and `/metrics` answer `index.html`, so a client-side route
 * survives a reload; `/assets/*` are Vite's hashed files, cached for a year. The page holds no
 * data, so these routes are public: the API behind it needs the session.
 *
 * `dir` is the built folder (`dist/web/`); without its index.html, `/` says how to build it.
 * Replaces the not-found handler: API paths keep their JSON 404s.
 */
export function registerDashboard(app: FastifyInstance, dir: string): void {
  const root = path.resolve(dir);
  const assets = path.join(root, 'assets');

  const sendIndex = async (reply: FastifyReply) => {
    void reply
      .headers(HTML_SECURITY_HEADERS)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8');
    const html = await readFile(path.join(root, 'index.html')).catch(() => undefined);
    return reply.send(html ?? NOT_BUILT);
  };

  app.get('/', { config: { access: 'public' }, schema: { hide: true } }, (_request, reply) =>
    sendIndex(reply),
  );

  app.get('/assets/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const relative = (request.params as { '*': string })['*'];
    const file = within(assets, relative);
    if (file === undefined || !(await sendFile(reply, file, 'public, max-age=31536000, immutable')))
      return handleNotFound(request, reply);
    return reply;
  });

  app.setNotFoundHandler(async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD') {
      const url = request.url.split('?')[0] ?? '';
      if (!isApiPath(url)) {
        // A top-level file first (favicon.svg), then the page for a route of the client.
        if (TOP_FILE.test(url) && (await sendFile(reply, path.join(root, url.slice(1)), 'no-cache')))
          return reply;
        if (acceptsHtml(request)) return sendIndex(reply);
      }
    }
    return handleNotFound(request, reply);
  });
}

function isApiPath(url: string): boolean {
  return url === '/v1' || url.startsWith('/v1/') || url === '/metrics' || url.startsWith('/metrics/');
}

function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

/**
 * The file `relative` names inside `folder`, or undefined when it would leave it: `..`, absolute
 * paths, backslashes, NUL and hidden names are refused before the path is resolved, and the
 * resolved path must still be inside the folder.
 */
export function within(folder: string, relative: string): string | undefined {
  if (relative === '' || relative.includes('\0') || relative.includes('\\')) return undefined;
  if (relative.split('/').some((part) => part === '' || part.startsWith('.'))) return undefined;
  const full = path.resolve(folder, relative);
  return full.startsWith(folder + path.sep) ? full : undefined;
}

/** Streams a regular file with its type; false when there is none (the caller answers 404). */
async function sendFile(reply: FastifyReply, file: string, cacheControl: string): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile()) return false;
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  if (type.startsWith('text/html')) void reply.headers(HTML_SECURITY_HEADERS);
  void reply
    .header('content-type', type)
    .header('content-length', info.size)
    .header('cache-control', cacheControl)
    .header('x-content-type-options', 'nosniff')
    .header('last-modified', info.mtime.toUTCString());
  await reply.send(createReadStream(file));
  return true;
}
