import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFlowline, type Flowline } from '../../app/flowline.js';
import { tempDir } from '../../artifacts/testing.js';
import { loadSettings } from '../../core/settings.js';
import { alertKey } from '../../incidents/index.js';
import { signWebhook } from './signature.js';

// A trigger that kills a flag degrades a feature: an incident opens in the transaction of that
// flag change, linked to it by record; the trigger's resolution resolves it. Wired as the server
// wires it (createFlowline), on a real store.

const change = { actor: { kind: 'user' as const, name: 'alice' }, where: { host: 'test' } };
const flag = { type: 'boolean', variants: { on: true, off: false }, defaultVariant: 'on', enabled: true };

let t: Awaited<ReturnType<typeof tempDir>>;
let app: Flowline;

beforeEach(async () => {
  t = await tempDir('flowline-trigger-incidents-');
  app = await createFlowline(
    loadSettings({ FLOWLINE_HOME: t.dir, FLOWLINE_SECRET_KEY: randomBytes(32).toString('base64') }, t.dir),
  );
  await app.catalog.ensureService('shop');
  await app.catalog.ensureEnvironment('shop', 'production', 'persistent');
  for (const environment of ['production', 'lab'])
    await app.flags.replace('shop', environment, { flags: { checkout: flag } }, change);
});
afterEach(async () => {
  await app.close();
  await t.cleanup();
});

let sent = 0;
const send = async (environment: string, secret: string, status: 'firing' | 'resolved') => {
  // A field of its own per request: the same signed bytes twice are refused as a replay.
  const body = Buffer.from(JSON.stringify({ trigger: 'errors', status, n: sent++ }));
  const timestamp = String(Math.floor(Date.now() / 1000));
  return app.flagTriggers.webhook(
    'shop',
    environment,
    { body, timestamp, signature: signWebhook(secret, timestamp, body) },
    change.where,
  );
};

const addTrigger = async (environment: string, kind: 'webhook' | 'alertmanager') =>
  (
    await app.flagTriggers.add(
      {
        service: 'shop',
        environment,
        name: 'errors',
        kind,
        flag: 'checkout',
        restore: true,
        ...(kind === 'alertmanager' ? { match: { alertname: 'HighErrorRate' } } : {}),
      },
      change.actor,
      change.where,
    )
  ).secret ?? '';

const kills = () =>
  app.store.db
    .selectFrom('flag_history')
    .select('id')
    .where('action', '=', 'flag.kill')
    .orderBy('version')
    .execute();

describe('a trigger that kills a flag', () => {
  it('opens one incident linked to that flag change, and its resolution resolves it', async () => {
    const secret = await addTrigger('production', 'webhook');
    expect((await send('production', secret, 'firing')).action).toBe('kill');
    const [kill] = await kills();
    const [incident, ...more] = await app.incidents.list({ status: 'all' });
    expect(more).toEqual([]);
    expect(incident).toMatchObject({
      source: 'flagTrigger',
      environment: 'production',
      status: 'open',
      openedBy: 'trigger:errors',
      cause: { kind: 'flagChange', id: kill?.id, inferred: false },
      title: 'Trigger errors killed flag checkout in production',
    });
    // Fired again while killed: no flag change, no second incident.
    expect((await send('production', secret, 'firing')).action).toBe('none');
    expect(await app.incidents.list({ status: 'all' })).toHaveLength(1);

    expect((await send('production', secret, 'resolved')).action).toBe('restore');
    expect(await app.incidents.get(incident?.id ?? '')).toMatchObject({
      status: 'resolved',
      resolvedBy: 'trigger:errors',
      resolution: 'trigger errors: the alert resolved',
    });
    // The next firing is a new incident.
    await send('production', secret, 'firing');
    expect((await app.incidents.list({})).map((i) => i.source)).toEqual(['flagTrigger']);
    expect(await app.incidents.list({ status: 'all' })).toHaveLength(2);
  });

  it('still kills in an environment the catalog does not know, without an incident', async () => {
    const secret = await addTrigger('lab', 'webhook');
    expect((await send('lab', secret, 'firing')).action).toBe('kill');
    expect((await app.flags.document('shop', 'lab')).definition.flags.checkout?.killed).toBe(true);
    expect(await app.incidents.list({ status: 'all' })).toEqual([]);
  });
});

describe('an Alertmanager group that fires a trigger', () => {
  it('has one incident: the kill opens it under the group key, the alert finds it open, its resolution resolves it', async () => {
    await addTrigger('production', 'alertmanager');
    const firing = {
      status: 'firing' as const,
      groupKey: '{}:{alertname="HighErrorRate"}',
      commonLabels: { alertname: 'HighErrorRate' },
      alerts: [{ status: 'firing', labels: { alertname: 'HighErrorRate' } }],
    };
    const key = alertKey('shop', 'production', firing);
    const outcomes = await app.flagTriggers.alertmanager('shop', 'production', firing, change.where, key);
    expect(outcomes.map((o) => o.action)).toEqual(['kill']);
    const alert = await app.incidents.alert({
      service: 'shop',
      environment: 'production',
      notification: firing,
      key,
      where: change.where,
    });
    const [kill] = await kills();
    expect(alert).toMatchObject({
      action: 'open',
      incident: { source: 'flagTrigger', cause: { kind: 'flagChange', id: kill?.id, inferred: false } },
    });
    const resolved = {
      ...firing,
      status: 'resolved' as const,
      alerts: [{ status: 'resolved', labels: { alertname: 'HighErrorRate' } }],
    };
    await app.flagTriggers.alertmanager('shop', 'production', resolved, change.where, key);
    expect(
      await app.incidents.alert({
        service: 'shop',
        environment: 'production',
        notification: resolved,
        key,
        where: change.where,
      }),
    ).toMatchObject({
      action: 'resolved',
      incident: { status: 'resolved', resolvedBy: 'alert:HighErrorRate' },
    });
    expect(await app.incidents.list({ status: 'all' })).toHaveLength(1);
  });
});
