import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowlineEvent } from '../../src/core/events.js';
import { sampleFlags, startFlagServer } from './flags-helpers.js';

let server: Awaited<ReturnType<typeof startFlagServer>>;
const SET = '/v1/flags/shop/staging';

beforeAll(async () => {
  server = await startFlagServer();
  await server.call('PUT', SET, { token: server.tokens.deployer, body: sampleFlags() });
});

afterAll(async () => {
  await server.stop();
});

const flag = (extra: Record<string, unknown>) => ({
  type: 'boolean',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  enabled: true,
  ...extra,
});

describe('writes are validated strictly', () => {
  it.each([
    [
      'an unknown segment',
      { flags: { a: flag({ rules: [{ when: { segment: 'staf' }, serve: { variant: 'on' } }] }) } },
      'unknown_segment',
      'flags.a.rules[0].when.segment',
    ],
    [
      'a prerequisite cycle',
      {
        flags: {
          a: flag({ prerequisites: [{ flag: 'b', variants: ['on'] }] }),
          b: flag({ prerequisites: [{ flag: 'a', variants: ['on'] }] }),
        },
      },
      'prerequisite_cycle',
      'flags.b.prerequisites[0].flag',
    ],
    [
      'weights not summing to 100',
      {
        flags: {
          a: flag({
            fallthrough: {
              rollout: {
                split: [
                  { variant: 'on', weight: 50 },
                  { variant: 'off', weight: 40 },
                ],
              },
            },
          }),
        },
      },
      'weights_sum',
      'flags.a.fallthrough.rollout.split',
    ],
    [
      'a catastrophic regex',
      {
        flags: {
          a: flag({
            rules: [
              { when: { attribute: 'email', op: 'matches', values: ['(a+)+$'] }, serve: { variant: 'on' } },
            ],
          }),
        },
      },
      'unsafe_regex',
      'flags.a.rules[0].when.values[0]',
    ],
    [
      'an invalid regex',
      {
        flags: {
          a: flag({
            rules: [
              {
                when: { attribute: 'email', op: 'matches', values: ['(unclosed'] },
                serve: { variant: 'on' },
              },
            ],
          }),
        },
      },
      'invalid_regex',
      'flags.a.rules[0].when.values[0]',
    ],
  ])('refuses %s with FLOWLINE_FLAGS_INVALID and the field path', async (_label, body, code, path) => {
    const before = (await server.call('GET', SET, { token: server.tokens.reader })).body.version;
    const res = await server.call('PUT', SET, { token: server.tokens.deployer, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('FLOWLINE_FLAGS_INVALID');
    expect(res.body.error.issues).toContainEqual(
      expect.objectContaining({ code, path: expect.stringContaining(path) }),
    );
    expect((await server.call('GET', SET, { token: server.tokens.reader })).body.version).toBe(before);
  });

  it('refuses an oversized set with FLOWLINE_FLAGS_TOO_LARGE', async () => {
    const flags: Record<string, unknown> = {};
    for (let i = 0; i < 2001; i++) flags[`f${i}`] = flag({});
    const res = await server.call('PUT', SET, { token: server.tokens.deployer, body: { flags } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('FLOWLINE_FLAGS_TOO_LARGE');
    expect(res.body.error.issues[0]).toMatchObject({ code: 'too_many_flags', path: 'flags' });
  });

  it('refuses a definition labelled for another environment', async () => {
    const res = await server.call('PUT', SET, {
      token: server.tokens.deployer,
      body: { ...sampleFlags(), environment: 'production' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.location.path).toBe('environment');
  });

  it('checks a single flag against the whole set', async () => {
    const res = await server.call('POST', `${SET}/late`, {
      token: server.tokens.deployer,
      body: flag({ prerequisites: [{ flag: 'ghost', variants: ['on'] }] }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0]).toMatchObject({
      code: 'unknown_flag',
      path: 'flags.late.prerequisites[0].flag',
    });
  });

  it('answers 404 for an action on an unknown flag', async () => {
    const res = await server.call('POST', `${SET}/ghost/kill`, { token: server.tokens.deployer });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('FLOWLINE_FLAG_NOT_FOUND');
  });
});

describe('optimistic concurrency', () => {
  it('applies a write whose If-Match is current, and refuses a stale one with 412', async () => {
    const read = await server.call('GET', SET, { token: server.tokens.reader });
    const etag = read.headers.get('etag') ?? '';
    const ok = await server.call('PUT', SET, {
      token: server.tokens.deployer,
      body: read.body.definition,
      headers: { 'if-match': etag },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(read.body.version); // the same definition writes no version

    await server.call('POST', `${SET}/banner/disable`, { token: server.tokens.deployer });
    const stale = await server.call('PUT', SET, {
      token: server.tokens.deployer,
      body: read.body.definition,
      headers: { 'if-match': etag },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('FLOWLINE_FLAGS_CONFLICT');
    const staleAction = await server.call('POST', `${SET}/banner/enable`, {
      token: server.tokens.deployer,
      headers: { 'if-match': etag },
    });
    expect(staleAction.status).toBe(412);
    await server.call('POST', `${SET}/banner/enable`, { token: server.tokens.deployer });
  });
});

describe('changes', () => {
  it('are audited with actor, where, flag and summary, recorded in history, and announced', async () => {
    const seen: FlowlineEvent[] = [];
    const stop = server.flowline.events.subscribe((event) => seen.push(event));
    const killed = await server.call('POST', `${SET}/new-checkout/kill`, {
      token: server.tokens.deployer,
      body: { variant: 'off' },
    });
    stop();
    const [event] = (await server.call('GET', '/v1/audit?action=flag.kill', { token: server.tokens.reader }))
      .body.events;
    expect(event).toMatchObject({
      actor: { kind: 'token', name: 'deployer' },
      action: 'flag.kill',
      target: 'flag:shop/staging/new-checkout',
      where: { host: expect.any(String) },
      details: {
        service: 'shop',
        environment: 'staging',
        flag: 'new-checkout',
        version: killed.body.version,
        summary: 'killed new-checkout (serving off)',
      },
    });
    const history = (await server.call('GET', `${SET}/history?limit=1`, { token: server.tokens.reader })).body
      .history;
    expect(history[0]).toMatchObject({
      version: killed.body.version,
      action: 'flag.kill',
      flags: ['new-checkout'],
    });
    expect(seen).toEqual([
      expect.objectContaining({
        type: 'flag.changed',
        service: 'shop',
        environment: 'staging',
        subject: 'new-checkout',
        data: { version: killed.body.version, change: 'updated', actor: 'deployer' },
      }),
    ]);
    const answer = await server.call('POST', `${SET}/evaluate`, {
      token: server.tokens.reader,
      body: { flag: 'new-checkout', context: { targetingKey: 'alice' } },
    });
    expect(answer.body).toMatchObject({ value: false, reason: 'DISABLED', flagMetadata: { killed: true } });
    await server.call('POST', `${SET}/new-checkout/unkill`, { token: server.tokens.deployer });
  });

  it('need the deploy role with the environment in scope', async () => {
    const outside = await server.call('PUT', '/v1/flags/shop/qa', {
      token: server.tokens.deployer,
      body: sampleFlags(),
    });
    expect(outside.status).toBe(403);
    const reader = await server.call('POST', `${SET}/banner`, {
      token: server.tokens.reader,
      body: flag({}),
    });
    expect(reader.status).toBe(403);
  });
});
