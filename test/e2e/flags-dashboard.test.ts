import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleFlags, startFlagServer } from './flags-helpers.js';

/** The read-only flag routes the dashboard uses: a dry-run check, hourly counts, stale flags. */

let server: Awaited<ReturnType<typeof startFlagServer>>;
const SET = '/v1/flags/shop/staging';

beforeAll(async () => {
  server = await startFlagServer();
  const put = await server.call('PUT', SET, { token: server.tokens.deployer, body: sampleFlags() });
  expect(put.status).toBe(200);
});

afterAll(async () => {
  await server.stop();
});

const badFlag = {
  type: 'boolean',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  enabled: true,
  rules: [{ serve: { variant: 'onn' } }],
};

describe('POST /v1/flags/{service}/{environment}/validate', () => {
  it('answers valid with the version it checked against, for one flag and for a whole set', async () => {
    const current = await server.call('GET', SET, { token: server.tokens.reader });
    const one = await server.call('POST', `${SET}/validate?flag=banner`, {
      token: server.tokens.reader,
      body: { ...current.body.definition.flags.banner, enabled: false },
    });
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ valid: true, version: current.body.version, etag: current.body.etag });
    const whole = await server.call('POST', `${SET}/validate`, {
      token: server.tokens.reader,
      body: sampleFlags(),
    });
    expect(whole.body.valid).toBe(true);
  });

  it('answers the very error the write answers, and writes nothing', async () => {
    const before = await server.call('GET', SET, { token: server.tokens.reader });
    const check = await server.call('POST', `${SET}/validate?flag=banner`, {
      token: server.tokens.reader,
      body: badFlag,
    });
    expect(check.status).toBe(200);
    expect(check.body.valid).toBe(false);
    expect(check.body.status).toBe(400);
    expect(check.body.error.code).toBe('FLOWLINE_FLAGS_INVALID');
    expect(check.body.error.issues[0]).toMatchObject({
      code: 'unknown_variant',
      path: 'flags.banner.rules[0].serve.variant',
    });

    const write = await server.call('POST', `${SET}/banner`, {
      token: server.tokens.deployer,
      body: badFlag,
    });
    expect(write.status).toBe(400);
    expect(write.body.error).toEqual(check.body.error);

    const after = await server.call('GET', SET, { token: server.tokens.reader });
    expect(after.body.version).toBe(before.body.version);
    const history = await server.call('GET', `${SET}/history`, { token: server.tokens.reader });
    expect(history.body.history).toHaveLength(before.body.version);
  });

  it('is refused to a client token, which may only read flags for evaluation', async () => {
    const res = await server.call('POST', '/v1/flags/shop/production/validate', {
      token: server.tokens.client,
      body: sampleFlags(),
    });
    expect(res.status).toBe(403);
  });
});

describe('GET /v1/flags/{service}/{environment}/evaluations', () => {
  it('counts evaluations per variant in the current hour, zero in the hours before', async () => {
    for (const targetingKey of ['alice', 'alice', 'bob']) {
      await server.call('POST', `${SET}/evaluate`, {
        token: server.tokens.admin,
        body: { flag: 'new-checkout', context: { targetingKey } },
      });
    }
    await server.flowline.flags.flushCounts();
    const day = await server.call('GET', `${SET}/evaluations?flag=new-checkout`, {
      token: server.tokens.reader,
    });
    expect(day.status).toBe(200);
    expect(day.body.range).toBe('24h');
    expect(day.body.hours).toHaveLength(24);
    const series = day.body.flags['new-checkout'] as Record<string, number[]>;
    const total = Object.values(series).reduce((sum, counts) => sum + (counts.at(-1) ?? 0), 0);
    expect(total).toBe(3);
    expect(series.on?.at(-1)).toBeGreaterThanOrEqual(2); // alice is staff
    expect(Object.values(series).every((counts) => counts.slice(0, -1).every((n) => n === 0))).toBe(true);

    const week = await server.call('GET', `${SET}/evaluations?range=7d`, { token: server.tokens.reader });
    expect(week.body.hours).toHaveLength(168);
    expect(Object.keys(week.body.flags)).toEqual(['new-checkout']);
  });

  it('refuses an unknown range', async () => {
    const res = await server.call('GET', `${SET}/evaluations?range=1y`, { token: server.tokens.reader });
    expect(res.status).toBe(400);
  });
});

describe('stale flags in GET /v1/flags/{service}', () => {
  it('lists a temporary flag past its expiry date, and never a permanent one', async () => {
    const flag = (temporary: boolean) => ({
      type: 'boolean',
      variants: { on: true, off: false },
      defaultVariant: 'on',
      enabled: true,
      metadata: { temporary, expires: '2020-01-01' },
    });
    await server.call('POST', `${SET}/old-banner`, { token: server.tokens.deployer, body: flag(true) });
    await server.call('POST', `${SET}/ops-switch`, { token: server.tokens.deployer, body: flag(false) });
    const res = await server.call('GET', '/v1/flags/shop', { token: server.tokens.reader });
    expect(res.body.staleDays).toBe(30);
    expect(res.body.stale).toEqual([
      expect.objectContaining({ flag: 'old-banner', reason: 'expired', environments: ['staging'] }),
    ]);
  });
});
