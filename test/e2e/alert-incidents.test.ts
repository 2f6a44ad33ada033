import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/flags/service/index.js';
import { sampleFlags, startFlagServer } from './flags-helpers.js';

/**
 * Incidents opened through the hooks, over real HTTP: an Alertmanager alert group opens one in the
 * environment its URL names and resolves it, a trigger that kills a flag opens one linked to that
 * flag change, and neither opens anything for a caller the hook refuses.
 */

let server: Awaited<ReturnType<typeof startFlagServer>>;
let firstChange = '';
const HOOK = '/v1/hooks/alertmanager/shop/production';

/** What Alertmanager (v0.27) posts to a `webhook_configs` receiver for one alert group. */
function notification(status: 'firing' | 'resolved', alertname: string) {
  const labels = { alertname, service: 'shop', severity: 'page' };
  return {
    version: '4',
    groupKey: `{}:{alertname="${alertname}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'flowline',
    groupLabels: { alertname },
    commonLabels: labels,
    commonAnnotations: { summary: 'checkout 5xx above 5%' },
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status,
        labels,
        annotations: { summary: 'checkout 5xx above 5%' },
        startsAt: '2026-03-01T10:00:00.000Z',
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-03-01T10:07:00.000Z',
        fingerprint: 'c4d2f7a1b0e3d5f6',
      },
    ],
  };
}

const incidents = async () =>
  (await server.call('GET', '/v1/incidents?status=all', { token: server.tokens.reader })).body.incidents as {
    id: string;
    source: string;
    status: string;
    title: string;
    openedBy: string;
    cause: { kind: string; id: string; inferred: boolean } | null;
  }[];

beforeAll(async () => {
  server = await startFlagServer();
  await server.flowline.catalog.ensureService('shop');
  await server.flowline.catalog.ensureEnvironment('shop', 'production', 'persistent');
  await server.call('PUT', '/v1/flags/shop/production', {
    token: server.tokens.deployer,
    body: sampleFlags(),
  });
  firstChange = (
    await server.flowline.store.db.selectFrom('flag_history').select('id').executeTakeFirstOrThrow()
  ).id;
});
afterAll(async () => {
  await server.stop();
});

describe('an Alertmanager alert group', () => {
  it('opens nothing for a caller without a deploy token for the environment', async () => {
    const staging = (
      await server.flowline.tokens.create(
        { name: 'staging-only', role: 'deploy', environments: ['staging'] },
        server.flowline.localActor,
      )
    ).secret;
    for (const token of [undefined, server.tokens.reader, staging]) {
      const res = await server.call('POST', HOOK, {
        ...(token === undefined ? {} : { token }),
        body: notification('firing', 'HighErrorRate'),
      });
      expect([401, 403]).toContain(res.status);
    }
    expect(await incidents()).toEqual([]);
  });

  it('opens an incident when it fires, none when Alertmanager repeats it, and resolves it', async () => {
    const fired = await server.call('POST', HOOK, {
      token: server.tokens.deployer,
      body: notification('firing', 'HighErrorRate'),
    });
    expect(fired.status).toBe(200);
    expect(fired.body).toMatchObject({ triggers: [], incident: { action: 'opened' } });
    const [incident, ...others] = await incidents();
    expect(others).toEqual([]);
    expect(incident).toMatchObject({
      source: 'alert',
      status: 'open',
      title: 'Alert HighErrorRate firing in production: checkout 5xx above 5%',
      openedBy: 'alert:HighErrorRate',
      // Nothing says what caused it: the last change before it, the flag set written above.
      cause: { kind: 'flagChange', id: firstChange, inferred: true },
    });
    const repeat = await server.call('POST', HOOK, {
      token: server.tokens.deployer,
      body: notification('firing', 'HighErrorRate'),
    });
    expect(repeat.body.incident).toMatchObject({ action: 'open', incident: { id: incident?.id } });
    const basic = Buffer.from(`alertmanager:${server.tokens.deployer}`).toString('base64');
    const resolved = await server.call('POST', HOOK, {
      body: notification('resolved', 'HighErrorRate'),
      headers: { authorization: `Basic ${basic}` },
    });
    expect(resolved.body.incident).toMatchObject({ action: 'resolved', incident: { id: incident?.id } });
    expect(await incidents()).toMatchObject([
      { id: incident?.id, status: 'resolved', resolution: 'alert HighErrorRate resolved' },
    ]);
    const audit = await server.call('GET', `/v1/audit?target=incident:${incident?.id}`, {
      token: server.tokens.reader,
    });
    expect(audit.body.events.map((e: { action: string }) => e.action).reverse()).toEqual([
      'incident.open',
      'incident.resolve',
    ]);
  });
});

describe('a trigger that kills a flag', () => {
  it('through Alertmanager: one incident for the group, linked to the kill, resolved with the alert', async () => {
    await server.call('POST', '/v1/flags/shop/production/triggers', {
      token: server.tokens.deployer,
      body: { name: 'slow', kind: 'alertmanager', flag: 'new-checkout', match: { alertname: 'Slow' } },
    });
    const fired = await server.call('POST', HOOK, {
      token: server.tokens.deployer,
      body: notification('firing', 'Slow'),
    });
    expect(fired.body.triggers).toMatchObject([{ action: 'kill' }]);
    expect(fired.body.incident).toMatchObject({ action: 'open', incident: { source: 'flagTrigger' } });
    const kill = await server.flowline.store.db
      .selectFrom('flag_history')
      .select('id')
      .where('action', '=', 'flag.kill')
      .executeTakeFirstOrThrow();
    const open = (await incidents()).filter((i) => i.status === 'open');
    expect(open).toMatchObject([
      { source: 'flagTrigger', cause: { kind: 'flagChange', id: kill.id, inferred: false } },
    ]);
    await server.call('POST', HOOK, {
      token: server.tokens.deployer,
      body: notification('resolved', 'Slow'),
    });
    expect((await incidents()).filter((i) => i.status === 'open')).toEqual([]);
  });

  it('through its signed webhook: an incident only for a good signature', async () => {
    const added = await server.call('POST', '/v1/flags/shop/production/triggers', {
      token: server.tokens.deployer,
      body: { name: 'signed', kind: 'webhook', flag: 'banner', variant: 'plain' },
    });
    const before = (await incidents()).length;
    const body = JSON.stringify({ trigger: 'signed', status: 'firing' });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const forged = await server.call('POST', '/v1/hooks/flags/shop/production', {
      body,
      headers: {
        'x-flowline-timestamp': timestamp,
        'x-flowline-signature': signWebhook('guess', timestamp, Buffer.from(body)),
      },
    });
    expect(forged.status).toBe(401);
    expect(await incidents()).toHaveLength(before);
    const signed = await server.call('POST', '/v1/hooks/flags/shop/production', {
      body,
      headers: {
        'x-flowline-timestamp': timestamp,
        'x-flowline-signature': signWebhook(added.body.secret, timestamp, Buffer.from(body)),
      },
    });
    expect(signed.body.trigger).toMatchObject({ action: 'kill' });
    const [newest] = await incidents();
    expect(newest).toMatchObject({
      source: 'flagTrigger',
      status: 'open',
      openedBy: 'trigger:signed',
      title: 'Trigger signed killed flag banner in production',
      cause: { kind: 'flagChange', inferred: false },
    });
  });
});
