import { mkdir, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlowline, type Flowline } from '../app/flowline.js';
import { tempDir } from '../artifacts/testing.js';
import { loadSettings } from '../core/settings.js';
import { buildServer } from './app.js';
import { type Listening, listen } from './listen.js';

// The dashboard's files from the API's port, from a tiny fake build in a temp folder.

let t: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let server: Listening;
let bare: Listening;
const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head></html>';
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

beforeAll(async () => {
  t = await tempDir('flowline-dashboard-');
  const web = path.join(t.dir, 'web');
  await mkdir(path.join(web, 'assets'), { recursive: true });
  await writeFile(path.join(web, 'index.html'), INDEX);
  await writeFile(path.join(web, 'assets', 'app-abc123.js'), 'console.log("hi");\n');
  await writeFile(path.join(web, 'assets', 'app-abc123.css'), 'body{}\n');
  await writeFile(path.join(web, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(path.join(t.dir, 'secret.txt'), 'outside the dashboard folder');
  const home = path.join(t.dir, 'home');
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: home }, t.dir), { dashboardDir: web });
  server = await listen(await buildServer(flowline), { port: 0, host: '127.0.0.1' });
  // The same server with a folder that holds no build.
  const empty = path.join(t.dir, 'empty');
  await mkdir(empty);
  bare = await listen(await buildServer({ ...flowline, dashboardDir: empty }), {
    port: 0,
    host: '127.0.0.1',
  });
});

afterAll(async () => {
  await server?.close();
  await bare?.close();
  await flowline?.close();
  await t?.cleanup();
});

const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

/** A request sent byte for byte as written: fetch would normalise `..` away before sending. */
function raw(base: string, target: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: target, method: 'GET', headers: html },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the dashboard files', () => {
  it('answers index.html at / with the security headers, not cached', async () => {
    const res = await fetch(`${server.url}/`, { headers: html });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(INDEX);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('answers index.html for a client-side route on reload', async () => {
    for (const route of ['/releases/hello/production', '/flags', '/runs/run_1?tab=log']) {
      const res = await fetch(server.url + route, { headers: html });
      expect([route, res.status, await res.text()]).toEqual([route, 200, INDEX]);
      expect(res.headers.get('content-security-policy')).toBe(CSP);
    }
  });

  it('serves hashed assets with their type, cached for a year', async () => {
    const js = await fetch(`${server.url}/assets/app-abc123.js`);
    expect(js.status).toBe(200);
    expect(await js.text()).toBe('console.log("hi");\n');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    const css = await fetch(`${server.url}/assets/app-abc123.css`);
    expect([css.headers.get('content-type'), await css.text()]).toEqual([
      'text/css; charset=utf-8',
      'body{}\n',
    ]);
    const icon = await fetch(`${server.url}/favicon.svg`);
    expect([icon.status, icon.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
    await icon.text(); // every answer read to its end: a half-read one keeps its connection busy
  });

  it('answers a missing asset with a JSON 404, not the page', async () => {
    const res = await fetch(`${server.url}/assets/app-gone.js`, { headers: html });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FLOWLINE_NOT_FOUND');
  });

  it('keeps JSON 404s for /v1/* and /metrics, even for a browser', async () => {
    for (const p of ['/v1/nothing-here', '/v1', '/metrics/x']) {
      const res = await fetch(server.url + p, { headers: html });
      expect([p, res.status, res.headers.get('content-type')]).toEqual([
        p,
        404,
        'application/json; charset=utf-8',
      ]);
      await res.text();
    }
  });

  it('answers a JSON 404 to a non-browser GET of an unknown path', async () => {
    const res = await fetch(`${server.url}/releases/x`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(404);
    await res.text();
  });

  it('never leaves the dashboard folder', async () => {
    for (const target of [
      '/assets/../../secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e%5c..%5csecret.txt',
      '/assets/%00app-abc123.js',
      '/assets/../index.html',
      '/assets/.hidden',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
    ]) {
      const res = await raw(server.url, target);
      expect([target, res.body]).not.toEqual([
        target,
        expect.stringContaining('outside the dashboard folder'),
      ]);
      expect([target, res.status === 200 ? res.body : 'refused']).toEqual([
        target,
        res.status === 200 ? INDEX : 'refused',
      ]);
    }
  });

  it('says the dashboard is not built, and how to build it, when the folder has no index.html', async () => {
    const res = await fetch(`${bare.url}/`, { headers: html });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    const body = await res.text();
    expect(body).toContain('not built');
    expect(body).toContain('npm run build');
  });

  it('needs no token: the page holds no data', async () => {
    const asset = await fetch(`${server.url}/assets/app-abc123.js`);
    expect([asset.status, await asset.text()]).toEqual([200, 'console.log("hi");\n']);
    const api = await fetch(`${server.url}/v1/whoami`);
    expect([api.status, ((await api.json()) as { error: { code: string } }).error.code]).toEqual([
      401,
      'FLOWLINE_AUTH_MISSING',
    ]);
  });
});
