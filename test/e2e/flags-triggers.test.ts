import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/flags/service/index.js';
import { sampleFlags, startFlagServer } from './flags-helpers.js';

let server: Awaited<ReturnType<typeof startFlagServer>>;
const SET = '/v1/flags/shop/production';
const HOOK = '/v1/hooks/alertmanager/shop/production';

/** What Alertmanager (v0.27) posts to a `webhook_configs` receiver. */
function alertmanagerPayload(status: 'firing' | 'resolved', labels: Record<string, string>) {
  const all = { alertname: 'HighErrorRate', service: 'shop', severity: 'page', ...labels };
  return {
    receiver: 'flowline',
    status,
    alerts: [
      {
        status,
        labels: all,
        annotations: { summary: '5xx above 5% for 2 minutes' },
        startsAt: '2026-03-01T10:00:00.000Z',
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-03-01T10:07:00.000Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=job%3Aerrors%3Aratio5m+%3E+0.05&g0.tab=1',
        fingerprint: 'c4d2f7a1b0e3d5f6',
      },
    ],
    groupLabels: { alertname: all.alertname },
    commonLabels: all,
    commonAnnotations: { summary: '5xx above 5% for 2 minutes' },
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: `{}:{alertname="${all.alertname}"}`,
    truncatedAlerts: 0,
  };
}

const flagState = async (key: string) =>
  (await server.call('GET', SET, { token: server.tokens.reader })).body.definition.flags[key];

beforeAll(async () => {
  server = await startFlagServer();
  const flags = sampleFlags();
  await server.call('PUT', SET, {
    token: server.tokens.deployer,
    body: {
      ...flags,
      flags: {
        ...flags.flags,
        search: {
          type: 'string',
          variants: { fast: 'v2', safe: 'v1' },
          defaultVariant: 'fast',
          enabled: true,
          metadata: { killOnRollback: true },
        },
      },
    },
  });
});

afterAll(async () => {
  await server.stop();
});

describe('the Alertmanager hook', () => {
  beforeAll(async () => {
    const res = await server.call('POST', `${SET}/triggers`, {
      token: server.tokens.deployer,
      body: {
        name: 'errors',
        kind: 'alertmanager',
        flag: 'new-checkout',
        match: { alertname: 'HighErrorRate' },
        restore: true,
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.secret).toBeUndefined();
  });

  it('needs a deploy token for the environment', async () => {
    const anonymous = await server.call('POST', HOOK, { body: alertmanagerPayload('firing', {}) });
    expect(anonymous.status).toBe(401);
    const reader = await server.call('POST', HOOK, {
      token: server.tokens.reader,
      body: alertmanagerPayload('firing', {}),
    });
    expect(reader.status).toBe(403);
    expect((await flagState('new-checkout')).killed).toBeUndefined();
  });

  it('kills the flag when a matching alert fires, audited as the trigger', async () => {
    const res = await server.call('POST', HOOK, {
      token: server.tokens.deployer,
      body: alertmanagerPayload('firing', {}),
    });
    expect(res.status).toBe(200);
    expect(res.body.triggers).toEqual([
      { trigger: 'errors', flag: 'new-checkout', action: 'kill', version: expect.any(Number) },
    ]);
    expect((await flagState('new-checkout')).killed).toBe(true);
    const [event] = (await server.call('GET', '/v1/audit?action=flag.kill', { token: server.tokens.reader }))
      .body.events;
    expect(event).toMatchObject({
      actor: { kind: 'user', name: 'trigger:errors' },
      target: 'flag:shop/production/new-checkout',
      details: { flag: 'new-checkout', trigger: 'errors', kind: 'alertmanager', status: 'firing' },
    });
    // Alertmanager repeats a firing notification: nothing more happens.
    const again = await server.call('POST', HOOK, {
      token: server.tokens.deployer,
      body: alertmanagerPayload('firing', {}),
    });
    expect(again.body.triggers[0].action).toBe('none');
  });

  it('restores the flag when the alert resolves (Basic auth with the token as password)', async () => {
    const basic = Buffer.from(`alertmanager:${server.tokens.deployer}`).toString('base64');
    const res = await server.call('POST', HOOK, {
      body: alertmanagerPayload('resolved', {}),
      headers: { authorization: `Basic ${basic}` },
    });
    expect(res.status).toBe(200);
    expect(res.body.triggers[0]).toMatchObject({ action: 'restore' });
    expect((await flagState('new-checkout')).killed).toBeUndefined();
  });

  it('ignores alerts whose labels do not match, and refuses what is not an Alertmanager payload', async () => {
    const other = await server.call('POST', HOOK, {
      token: server.tokens.deployer,
      body: alertmanagerPayload('firing', { alertname: 'DiskFull' }),
    });
    expect(other.body.triggers).toEqual([]);
    const bad = await server.call('POST', HOOK, { token: server.tokens.deployer, body: { alerts: 'nope' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('FLOWLINE_REQUEST_INVALID');
  });
});

describe('the signed webhook', () => {
  let secret: string;
  const url = '/v1/hooks/flags/shop/production';
  const send = (body: string, headers: Record<string, string>) => server.call('POST', url, { body, headers });
  const now = () => String(Math.floor(Date.now() / 1000));

  beforeAll(async () => {
    const res = await server.call('POST', `${SET}/triggers`, {
      token: server.tokens.deployer,
      body: { name: 'ops-switch', kind: 'webhook', flag: 'banner', variant: 'plain', restore: true },
    });
    secret = res.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  });

  it('never shows the secret again, nor writes it to the audit trail', async () => {
    const listed = await server.call('GET', `${SET}/triggers`, { token: server.tokens.reader });
    expect(listed.body.triggers.map((t: { name: string }) => t.name)).toEqual(['errors', 'ops-switch']);
    expect(listed.text).not.toContain(secret);
    const audit = await server.call('GET', '/v1/audit?action=flag.trigger', { token: server.tokens.reader });
    expect(audit.body.events).toHaveLength(2);
    expect(audit.text).not.toContain(secret.slice(6));
  });

  it('refuses an unsigned request and a wrong signature', async () => {
    const body = JSON.stringify({ trigger: 'ops-switch', status: 'firing' });
    const unsigned = await send(body, { 'content-type': 'application/json' });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error.code).toBe('FLOWLINE_WEBHOOK_SIGNATURE');
    const ts = now();
    const wrong = await send(body, {
      'x-flowline-timestamp': ts,
      'x-flowline-signature': signWebhook('whsec_guess', ts, body),
    });
    expect(wrong.status).toBe(401);
    const tampered = await send(body.replace('firing', 'resolved'), {
      'x-flowline-timestamp': ts,
      'x-flowline-signature': signWebhook(secret, ts, body),
    });
    expect(tampered.status).toBe(401);
    expect((await flagState('banner')).killed).toBeUndefined();
  });

  it('switches the flag to its fallback variant on a good signature, once', async () => {
    const body = JSON.stringify({ trigger: 'ops-switch', status: 'firing' });
    const ts = now();
    const headers = { 'x-flowline-timestamp': ts, 'x-flowline-signature': signWebhook(secret, ts, body) };
    const ok = await send(body, headers);
    expect(ok.status).toBe(200);
    expect(ok.body.trigger).toMatchObject({ trigger: 'ops-switch', flag: 'banner', action: 'kill' });
    expect(await flagState('banner')).toMatchObject({ killed: true, killVariant: 'plain' });
    const replayed = await send(body, headers);
    expect(replayed.status).toBe(401);
    expect(replayed.body.error.message).toContain('replay');
  });

  it('refuses a correctly signed request older than five minutes', async () => {
    const body = JSON.stringify({ trigger: 'ops-switch', status: 'resolved' });
    const old = String(Math.floor(Date.now() / 1000) - 6 * 60);
    const res = await send(body, {
      'x-flowline-timestamp': old,
      'x-flowline-signature': signWebhook(secret, old, body),
    });
    expect(res.status).toBe(401);
    expect((await flagState('banner')).killed).toBe(true);
    const ts = now();
    const fresh = await send(body, {
      'x-flowline-timestamp': ts,
      'x-flowline-signature': signWebhook(secret, ts, body),
    });
    expect(fresh.body.trigger.action).toBe('restore');
  });
});

describe('killOnRollback', () => {
  it('kills the marked flags of the environment of a failed deployment', async () => {
    const emit = (environment: string) =>
      server.flowline.events.emit({
        type: 'deployment.failed',
        at: new Date().toISOString(),
        service: 'shop',
        environment,
        subject: 'dep_123',
        message: 'analysis failed: error rate 7% > 5%',
      });
    emit('staging');
    emit('production');
    let search = await flagState('search');
    for (let i = 0; i < 50 && search.killed !== true; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      search = await flagState('search');
    }
    expect(search.killed).toBe(true);
    expect((await flagState('new-checkout')).killed).toBeUndefined();
    const [event] = (await server.call('GET', '/v1/audit?action=flag.kill', { token: server.tokens.reader }))
      .body.events;
    expect(event).toMatchObject({
      actor: { name: 'trigger:killOnRollback' },
      target: 'flag:shop/production/search',
      details: { event: 'deployment.failed', subject: 'dep_123' },
    });
  });
});

describe('evaluation counts', () => {
  it('count server evaluations per flag and variant, with the last evaluation time', async () => {
    for (const key of ['alice', 'alice', 'bob']) {
      await server.call('POST', `${SET}/evaluate`, {
        token: server.tokens.client,
        body: { flag: 'banner', context: { targetingKey: key } },
      });
    }
    await server.call('POST', `${SET}/evaluate/bulk`, { token: server.tokens.client, body: { context: {} } });
    await server.call('POST', `${SET}/evaluate`, { token: server.tokens.client, body: { flag: 'made-up' } });
    await server.flowline.flags.flushCounts();
    const overview = (await server.call('GET', '/v1/flags/shop', { token: server.tokens.reader })).body;
    const production = overview.environments.find(
      (env: { environment: string }) => env.environment === 'production',
    );
    expect(production.flags.banner).toEqual({
      changedAt: expect.any(String),
      evaluatedAt: expect.any(String),
      evaluations: { fancy: 4 },
    });
    expect(production.flags['new-checkout'].evaluations).toEqual({ off: 1 });
    expect(Object.keys(production.flags)).not.toContain('made-up');
  });
});
