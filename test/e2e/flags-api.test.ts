import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream, sampleFlags, startFlagServer } from './flags-helpers.js';

let server: Awaited<ReturnType<typeof startFlagServer>>;
const SET = '/v1/flags/shop/production';

beforeAll(async () => {
  server = await startFlagServer();
});

afterAll(async () => {
  await server.stop();
});

describe('the flag set endpoint', () => {
  it('serves an empty set at version 0 for an environment never written', async () => {
    const res = await server.call('GET', '/v1/flags/shop/qa', { token: server.tokens.reader });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      service: 'shop',
      environment: 'qa',
      version: 0,
      etag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
      definition: { service: 'shop', environment: 'qa', flags: {} },
    });
    expect(res.headers.get('etag')).toBe(res.body.etag);
  });

  it('stores a definition as a new version and answers 304 to a matching If-None-Match', async () => {
    const put = await server.call('PUT', SET, { token: server.tokens.deployer, body: sampleFlags() });
    expect(put.status).toBe(200);
    expect(put.body.version).toBe(1);
    const get = await server.call('GET', SET, { token: server.tokens.client });
    expect(get.body).toEqual(put.body);
    expect(get.body.definition.flags.banner.fallthrough).toEqual({ variant: 'fancy' });
    const etag = get.headers.get('etag') ?? '';
    expect(etag).toBe(get.body.etag);

    const cached = await server.call('GET', SET, {
      token: server.tokens.client,
      headers: { 'if-none-match': etag },
    });
    expect(cached.status).toBe(304);
    expect(cached.text).toBe('');

    await server.call('POST', `${SET}/banner/disable`, { token: server.tokens.deployer });
    const fresh = await server.call('GET', SET, {
      token: server.tokens.client,
      headers: { 'if-none-match': etag },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.body.version).toBe(2);
    expect(fresh.body.etag).not.toBe(etag);
    await server.call('POST', `${SET}/banner/enable`, { token: server.tokens.deployer });
  });
});

describe('evaluation endpoints', () => {
  it('evaluate one flag like OpenFeature, including for unknown flags', async () => {
    const staff = await server.call('POST', `${SET}/evaluate`, {
      token: server.tokens.client,
      body: { flag: 'new-checkout', context: { targetingKey: 'alice' } },
    });
    expect(staff.status).toBe(200);
    expect(staff.body).toEqual({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
      flagMetadata: { rule: 'staff' },
    });

    const missing = await server.call('POST', `${SET}/evaluate`, {
      token: server.tokens.client,
      body: { flag: 'nope', context: {} },
    });
    expect(missing.body).toMatchObject({ reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(missing.body.value).toBeUndefined();

    const noKey = await server.call('POST', `${SET}/evaluate`, {
      token: server.tokens.client,
      body: { flag: 'new-checkout', context: {} },
    });
    expect(noKey.body).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'ERROR',
      errorCode: 'TARGETING_KEY_MISSING',
    });
  });

  it('evaluate every flag, or the listed ones, in bulk', async () => {
    const all = await server.call('POST', `${SET}/evaluate/bulk`, {
      token: server.tokens.client,
      body: { context: { targetingKey: 'alice' } },
    });
    expect(Object.keys(all.body.flags)).toEqual(['new-checkout', 'banner']);
    expect(all.body.flags.banner).toEqual({ value: 'Hello ✨', variant: 'fancy', reason: 'STATIC' });
    const some = await server.call('POST', `${SET}/evaluate/bulk`, {
      token: server.tokens.client,
      body: { context: { targetingKey: 'bob' }, flags: ['banner', 'ghost'] },
    });
    expect(Object.keys(some.body.flags)).toEqual(['banner', 'ghost']);
    expect(some.body.flags.ghost.errorCode).toBe('FLAG_NOT_FOUND');
  });

  it('refuses a malformed evaluation request with the field named', async () => {
    const res = await server.call('POST', `${SET}/evaluate`, {
      token: server.tokens.client,
      body: { flag: 'banner', context: {}, extra: 1 },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('FLOWLINE_REQUEST_INVALID');
  });
});

describe('client tokens', () => {
  it('may read and evaluate the flags of their environments only', async () => {
    const other = await server.call('GET', '/v1/flags/shop/staging', { token: server.tokens.client });
    expect(other.status).toBe(403);
    expect(other.body.error.message).toContain('staging');
    const otherEval = await server.call('POST', '/v1/flags/shop/staging/evaluate', {
      token: server.tokens.client,
      body: { flag: 'banner' },
    });
    expect(otherEval.status).toBe(403);
    const stream = await openStream(`${server.api.url}/v1/flags/shop/staging/stream`, server.tokens.client);
    expect(stream.status).toBe(403);
    stream.close();
  });

  it('may call nothing but the flag delivery routes', async () => {
    for (const [method, route, body] of [
      ['GET', '/v1/whoami'],
      ['GET', '/v1/audit'],
      ['GET', '/v1/services'],
      ['GET', '/v1/flags/shop'],
      ['GET', `${SET}/history`],
      ['GET', `${SET}/triggers`],
      ['PUT', SET, sampleFlags()],
      ['POST', `${SET}/banner/kill`],
    ] as const) {
      const res = await server.call(method, route, { token: server.tokens.client, body });
      expect([route, res.status, res.body.error.code]).toEqual([route, 403, 'FLOWLINE_FORBIDDEN']);
    }
  });

  it('must be created with an environment scope', async () => {
    const res = await server.call('POST', '/v1/tokens', {
      token: server.tokens.admin,
      body: { name: 'everywhere', role: 'client' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.location.path).toBe('environments');
  });

  it('leave read tokens able to read flags in their scope, but not to change them', async () => {
    expect((await server.call('GET', SET, { token: server.tokens.reader })).status).toBe(200);
    const denied = await server.call('POST', `${SET}/banner/kill`, { token: server.tokens.reader });
    expect(denied.status).toBe(403);
  });
});

describe('the stream', () => {
  it('sends the set on connect, then every change in order', async () => {
    const stream = await openStream(`${server.api.url}${SET}/stream`, server.tokens.client);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toContain('text/event-stream');
    const first = await stream.next();
    const current = (await server.call('GET', SET, { token: server.tokens.client })).body;
    expect(first).toEqual({ event: 'flags', id: String(current.version), data: JSON.stringify(current) });

    await server.call('POST', `${SET}/banner/kill`, {
      token: server.tokens.deployer,
      body: { variant: 'plain' },
    });
    await server.call('POST', `${SET}/banner/unkill`, { token: server.tokens.deployer });
    const killed = await stream.next(1000);
    const lifted = await stream.next(1000);
    expect([killed.id, lifted.id]).toEqual([String(current.version + 1), String(current.version + 2)]);
    expect(JSON.parse(killed.data).definition.flags.banner).toMatchObject({
      killed: true,
      killVariant: 'plain',
    });
    expect(JSON.parse(lifted.data).definition.flags.banner.killed).toBeUndefined();
    stream.close();
  });

  it('honours Last-Event-ID: nothing on connect when current, the set when behind', async () => {
    const { version } = (await server.call('GET', SET, { token: server.tokens.client })).body;
    const current = await openStream(`${server.api.url}${SET}/stream`, server.tokens.client, {
      'last-event-id': String(version),
    });
    const behind = await openStream(`${server.api.url}${SET}/stream`, server.tokens.client, {
      'last-event-id': String(version - 1),
    });
    expect((await behind.next()).id).toBe(String(version));
    await server.call('POST', `${SET}/banner/disable`, { token: server.tokens.deployer });
    expect((await current.next(1000)).id).toBe(String(version + 1));
    expect((await behind.next(1000)).id).toBe(String(version + 1));
    current.close();
    behind.close();
    await server.call('POST', `${SET}/banner/enable`, { token: server.tokens.deployer });
  });
});

describe('read your writes', () => {
  it('name the version an evaluation answered from', async () => {
    const current = (await server.call('GET', SET, { token: server.tokens.client })).body.version;
    const one = await server.call('POST', `${SET}/evaluate`, {
      token: server.tokens.client,
      body: { flag: 'banner', context: {} },
    });
    const bulk = await server.call('POST', `${SET}/evaluate/bulk`, {
      token: server.tokens.client,
      body: { context: {} },
    });
    expect(one.headers.get('x-flowline-flags-version')).toBe(String(current));
    expect(bulk.headers.get('x-flowline-flags-version')).toBe(String(current));
  });

  it('serve a version written to the store by another process at once when asked for it', async () => {
    const { createFlagService } = await import('../../src/flags/service/index.js');
    const { openStore } = await import('../../src/store/index.js');
    const { createAuditLog } = await import('../../src/audit/index.js');
    const { createEventBus } = await import('../../src/core/events.js');
    const { systemClock } = await import('../../src/core/clock.js');
    const store = await openStore({ file: path.join(server.dir.path, 'flowline.db'), clock: systemClock });
    try {
      // The embedded CLI's write: same store file, another connection, no announcement.
      const other = createFlagService({
        store,
        audit: createAuditLog({ store, clock: systemClock }),
        clock: systemClock,
        events: createEventBus(),
      });
      const written = await other.act('shop', 'production', 'banner', 'kill', {
        actor: { kind: 'user', name: 'alice' },
        where: { host: 'test' },
      });
      const answer = await server.call('POST', `${SET}/evaluate`, {
        token: server.tokens.client,
        body: { flag: 'banner', context: {} },
        headers: { 'x-flowline-min-version': String(written.version) },
      });
      expect(answer.body).toMatchObject({ reason: 'DISABLED', flagMetadata: { killed: true } });
      expect(answer.headers.get('x-flowline-flags-version')).toBe(String(written.version));
      const cached = await server.call('GET', SET, {
        token: server.tokens.client,
        headers: { 'if-none-match': written.etag, 'x-flowline-min-version': String(written.version) },
      });
      expect(cached.status).toBe(304);
      await other.act('shop', 'production', 'banner', 'unkill', {
        actor: { kind: 'user', name: 'alice' },
        where: { host: 'test' },
      });
    } finally {
      await store.close();
    }
  });

  it('refuses a min-version header that is not a version, naming the header', async () => {
    const res = await server.call('GET', SET, {
      token: server.tokens.client,
      headers: { 'x-flowline-min-version': 'latest' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'FLOWLINE_REQUEST_INVALID',
      location: { path: 'headers.x-flowline-min-version' },
    });
  });
});
