import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../src/app/api.js';
import { createFlowline, type Flowline } from '../../src/app/flowline.js';
import { MAX_HEADS_PER_REQUEST } from '../../src/audit/index.js';
import { loadSettings } from '../../src/core/settings.js';
import type { Listening } from '../../src/server/index.js';
import { tempDir } from './helpers.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let api: Listening;
let admin: string;
let reader: string;

async function call(
  method: string,
  route: string,
  options: { token?: string; body?: string; type?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = options.type ?? 'application/json';
  const res = await fetch(api.url + route, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

beforeAll(async () => {
  dir = await tempDir();
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: dir.path }, dir.path));
  api = await startApi(flowline, { port: 0, host: '127.0.0.1' });
  admin = (await flowline.tokens.create({ name: 'root', role: 'admin' }, flowline.localActor)).secret;
  reader = (await flowline.tokens.create({ name: 'viewer', role: 'read' }, flowline.localActor)).secret;
});

afterAll(async () => {
  await api.close();
  await flowline.close();
  await dir.dispose();
});

describe('the API server', () => {
  it('answers health without a token', async () => {
    const res = await call('GET', '/v1/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', version: flowline.version });
  });

  it('refuses requests without a token, with a malformed header, or with an unknown token', async () => {
    expect((await call('GET', '/v1/audit')).body.error.code).toBe('FLOWLINE_AUTH_MISSING');
    const malformed = await fetch(`${api.url}/v1/audit`, { headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe(
      'FLOWLINE_AUTH_INVALID',
    );
    const unknown = await call('GET', '/v1/audit', {
      token: 'flt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('FLOWLINE_AUTH_INVALID');
    expect(JSON.stringify(unknown.body)).not.toContain('flt_AAAA');
  });

  it('lets a read token read but not administer', async () => {
    expect((await call('GET', '/v1/audit', { token: reader })).status).toBe(200);
    const denied = await call('POST', '/v1/tokens', {
      token: reader,
      body: JSON.stringify({ name: 'sneaky', role: 'admin' }),
    });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('FLOWLINE_FORBIDDEN');
  });

  it('shows a new secret once, stores only its hash, and keeps it out of the audit trail', async () => {
    const created = await call('POST', '/v1/tokens', {
      token: admin,
      body: JSON.stringify({ name: 'ci-bot', role: 'deploy', environments: ['staging'] }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^flt_[A-Za-z0-9_-]{43}$/);

    const listed = await call('GET', '/v1/tokens', { token: admin });
    expect(listed.body.tokens.map((t: { name: string }) => t.name)).toContain('ci-bot');
    expect(JSON.stringify(listed.body)).not.toContain(secret);

    const audit = await call('GET', '/v1/audit?action=token', { token: admin });
    expect(audit.body.events[0]).toMatchObject({
      action: 'token.create',
      actor: { kind: 'token', name: 'root' },
    });
    expect(JSON.stringify(audit.body)).not.toContain(secret);
    const raw = await readFile(flowline.store.file);
    expect(raw.includes(Buffer.from(secret))).toBe(false);

    const whoami = await call('GET', '/v1/whoami', { token: secret });
    expect(whoami.body).toEqual({
      actor: { kind: 'token', name: 'ci-bot' },
      role: 'deploy',
      environments: ['staging'],
    });
  });

  it('rejects a revoked token', async () => {
    const { secret } = await flowline.tokens.create(
      { name: 'short-lived', role: 'read' },
      flowline.localActor,
    );
    expect((await call('DELETE', '/v1/tokens/short-lived', { token: admin })).status).toBe(200);
    const res = await call('GET', '/v1/whoami', { token: secret });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('FLOWLINE_AUTH_REVOKED');
  });

  it('rejects an oversized body with 413 and stores nothing', async () => {
    const before = (await flowline.tokens.list()).length;
    const res = await call('POST', '/v1/tokens', {
      token: admin,
      body: JSON.stringify({ name: 'big', role: 'read', pad: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('FLOWLINE_REQUEST_TOO_LARGE');
    expect((await flowline.tokens.list()).length).toBe(before);
  });

  it('rejects malformed JSON, unknown fields and wrong types with the field path', async () => {
    const malformed = await call('POST', '/v1/tokens', { token: admin, body: '{"name": "x", ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('FLOWLINE_REQUEST_MALFORMED');

    const unknown = await call('POST', '/v1/tokens', {
      token: admin,
      body: JSON.stringify({ name: 'x', role: 'read', rol: 'admin' }),
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('FLOWLINE_REQUEST_INVALID');
    expect(unknown.body.error.message).toContain('rol');

    const wrongType = await call('POST', '/v1/tokens', {
      token: admin,
      body: JSON.stringify({ name: 'x', role: 'superuser' }),
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.issues[0].path).toBe('body.role');
  });

  it('rejects bodies that are not JSON with 415', async () => {
    const res = await call('POST', '/v1/tokens', { token: admin, body: 'name=x', type: 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('FLOWLINE_UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await call('GET', '/v1/nothing-here', { token: admin });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('FLOWLINE_NOT_FOUND');
  });

  it('publishes an OpenAPI document that covers its routes and bearer security', async () => {
    const res = await call('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/health',
        '/v1/tokens',
        '/v1/audit',
        '/v1/audit/verify',
        '/v1/config/validate',
      ]),
    );
    expect(res.body.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
  });

  it("gives each operation the security its route's access needs: none for the public ones", async () => {
    const { paths } = (await call('GET', '/v1/openapi.json')).body as {
      paths: Record<string, Record<string, { security?: unknown[]; 'x-flowline-role'?: string }>>;
    };
    const op = (path: string, method: string) => paths[path]?.[method];
    expect(op('/v1/health', 'get')?.security).toEqual([]);
    expect(op('/v1/config/schema', 'get')?.security).toEqual([]);
    expect(op('/v1/hooks/flags/{service}/{environment}', 'post')?.security).toEqual([]);
    expect(op('/v1/hooks/alertmanager/{service}/{environment}', 'post')?.security).toEqual([
      { bearer: [] },
      { basic: [] },
    ]);
    expect(op('/v1/tokens', 'post')).toMatchObject({
      security: [{ bearer: [] }],
      'x-flowline-role': 'admin',
    });
    expect(op('/v1/audit', 'get')).toMatchObject({ security: [{ bearer: [] }], 'x-flowline-role': 'read' });
    // Every operation says what it needs, so no route is left to the document-wide default.
    for (const [path, methods] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        expect(operation.security, `${method} ${path}`).toBeDefined();
      }
    }
    // And what it says holds: a public operation answers without a token, a private one refuses.
    expect((await call('GET', '/v1/config/schema')).status).toBe(200);
    expect((await call('GET', '/v1/whoami')).status).toBe(401);
  });

  it('validates a flowline.yaml sent to it and reports line and column', async () => {
    const res = await call('POST', '/v1/config/validate', {
      token: reader,
      body: JSON.stringify({ text: 'version: 1\nservice: hello\nstagse: {}\n' }),
    });
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(false);
    expect(res.body.errors[0]).toMatchObject({ file: 'flowline.yaml', line: 3, column: 1 });
  });

  it('keeps the audit chain verifiable after all of the above', async () => {
    const res = await call('GET', '/v1/audit/verify', { token: reader });
    expect(res.body).toMatchObject({ ok: true, anchored: 0 });
    expect(res.body.events).toBeGreaterThanOrEqual(4);
  });

  it('answers the audit head to a read token, and checks the chain against heads saved elsewhere', async () => {
    const head = await call('GET', '/v1/audit/head', { token: reader });
    expect(head.status).toBe(200);
    expect(head.body).toEqual(await flowline.audit.head());
    const saved = `${head.body.seq}:${head.body.hash}`;
    const older = `1:${(await flowline.audit.list({ limit: 1000 })).find((e) => e.seq === 1)?.hash}`;

    const ok = await call('GET', `/v1/audit/verify?head=${saved}&head=${older}`, { token: reader });
    expect(ok.body).toMatchObject({ ok: true, anchored: 2 });

    const past = `${head.body.seq + 5}:${head.body.hash}`;
    const truncated = await call('GET', `/v1/audit/verify?head=${past}`, { token: reader });
    expect(truncated.status).toBe(200);
    expect(truncated.body).toMatchObject({
      ok: false,
      code: 'FLOWLINE_AUDIT_ANCHOR_MISMATCH',
      firstBad: { problem: 'truncated', anchor: { seq: head.body.seq + 5 } },
    });
    expect(truncated.body.message).toContain(`#${head.body.seq + 5}`);

    const rewritten = await call('GET', `/v1/audit/verify?head=1:${'ab'.repeat(32)}`, { token: reader });
    expect(rewritten.body).toMatchObject({ ok: false, firstBad: { seq: 1, problem: 'rewritten' } });
  });

  it('refuses malformed saved heads, and more of them than one request takes', async () => {
    const bad = await call('GET', '/v1/audit/verify?head=12:nothex', { token: reader });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('FLOWLINE_AUDIT_ANCHOR_INVALID');
    const many = Array.from({ length: MAX_HEADS_PER_REQUEST + 1 }, () => `head=0:${'0'.repeat(64)}`);
    const tooMany = await call('GET', `/v1/audit/verify?${many.join('&')}`, { token: reader });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe('FLOWLINE_REQUEST_INVALID');
  });

  it('keeps the audit routes closed to client tokens', async () => {
    const { secret } = await flowline.tokens.create(
      { name: 'browser', role: 'client', environments: ['production'] },
      flowline.localActor,
    );
    for (const route of ['/v1/audit', '/v1/audit/verify', '/v1/audit/head']) {
      expect({ route, status: (await call('GET', route, { token: secret })).status }).toEqual({
        route,
        status: 403,
      });
    }
  });
});
