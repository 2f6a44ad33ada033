import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../audit/index.js';
import { type Catalog, createCatalog } from '../catalog/index.js';
import { tempStore } from '../store/testing.js';
import { type AlertNotification, alertKey, createIncidents, type Incidents } from './index.js';

let t: Awaited<ReturnType<typeof tempStore>>;
let catalog: Catalog;
let incidents: Incidents;
const system = { actor: { kind: 'user' as const, name: 'flowline' }, where: { host: 'server' } };
const where = { host: 'server' };

beforeEach(async () => {
  t = await tempStore();
  catalog = createCatalog({ store: t.store, clock: t.clock });
  incidents = createIncidents({
    store: t.store,
    audit: createAuditLog({ store: t.store, clock: t.clock }),
    clock: t.clock,
  });
  await catalog.ensureService('shop');
  await catalog.ensureEnvironment('shop', 'production', 'persistent');
});
afterEach(async () => {
  await t.cleanup();
});

const automatic = (key: string, once: boolean, cause?: { kind: 'deployment'; id: string }) =>
  t.store.write((tx) =>
    incidents.openAutomatic(
      {
        service: 'shop',
        environment: 'production',
        title: 'x',
        source: 'rollback',
        key,
        once,
        ...(cause === undefined ? {} : { cause }),
      },
      system,
      tx,
    ),
  );

describe('an incident Flowline opens by itself', () => {
  it('opens once per key: a failure marked once never again, even resolved', async () => {
    const first = await automatic('deployment:dep_1', true, { kind: 'deployment', id: 'dep_1' });
    expect(first).toMatchObject({
      source: 'rollback',
      cause: { kind: 'deployment', id: 'dep_1', inferred: false },
    });
    expect(await automatic('deployment:dep_1', true)).toBeUndefined();
    await incidents.resolve(first?.id ?? '', undefined, system);
    expect(await automatic('deployment:dep_1', true)).toBeUndefined();
    expect(await incidents.list({ status: 'all' })).toHaveLength(1);
  });

  it('one that may repeat opens again once the last is resolved, and is resolved by its key', async () => {
    const first = await automatic('alert:k', false);
    expect(await automatic('alert:k', false)).toBeUndefined();
    const resolved = await t.store.write((tx) => incidents.resolveAutomatic('alert:k', 'gone', system, tx));
    expect(resolved).toMatchObject({
      id: first?.id,
      status: 'resolved',
      resolution: 'gone',
      resolvedBy: 'flowline',
    });
    expect(
      await t.store.write((tx) => incidents.resolveAutomatic('alert:k', 'gone', system, tx)),
    ).toBeUndefined();
    expect(await automatic('alert:k', false)).toMatchObject({ status: 'open' });
    expect(await incidents.list({ status: 'all' })).toHaveLength(2);
  });

  it('without a known cause links the last change before it, inferred', async () => {
    const id = `sha256:${'a'.repeat(64)}`;
    await catalog.recordArtifact({ id, service: 'shop', cacheKey: id, sizeBytes: 1 });
    const d = await catalog.startDeployment({
      service: 'shop',
      environment: 'production',
      artifactId: id,
      strategy: 'rolling',
      actor: 'ada',
    });
    expect((await automatic('alert:k', false))?.cause).toEqual({
      kind: 'deployment',
      id: d.id,
      inferred: true,
    });
  });

  it('is not filed for an environment the catalog does not know', async () => {
    const none = await t.store.write((tx) =>
      incidents.openAutomatic(
        { service: 'shop', environment: 'lab', title: 'x', source: 'flagTrigger', key: 'k', once: false },
        system,
        tx,
      ),
    );
    expect(none).toBeUndefined();
  });
});

describe('an Alertmanager alert group', () => {
  const firing: AlertNotification = {
    status: 'firing',
    groupKey: '{}/{severity="page"}:{alertname="HighErrorRate"}',
    receiver: 'flowline',
    groupLabels: { alertname: 'HighErrorRate' },
    commonLabels: { alertname: 'HighErrorRate', severity: 'page' },
    commonAnnotations: { summary: 'checkout 5xx above 5%' },
    alerts: [{ status: 'firing', labels: { alertname: 'HighErrorRate', instance: 'a' } }],
  };
  const key = alertKey('shop', 'production', firing);
  const receive = (notification: AlertNotification) =>
    incidents.alert({ service: 'shop', environment: 'production', notification, key, where });

  it('opens an incident when it fires, none while it repeats, and resolves it when it resolves', async () => {
    const opened = await receive(firing);
    expect(opened).toMatchObject({
      action: 'opened',
      incident: {
        source: 'alert',
        title: 'Alert HighErrorRate firing in production: checkout 5xx above 5%',
        openedBy: 'alert:HighErrorRate',
        cause: null,
      },
    });
    t.clock.advance(4 * 3600_000); // Alertmanager's default repeat_interval
    expect(await receive(firing)).toMatchObject({ action: 'open', incident: { id: opened.incident?.id } });
    const resolved = await receive({ ...firing, status: 'resolved' });
    expect(resolved).toMatchObject({
      action: 'resolved',
      incident: { id: opened.incident?.id, resolution: 'alert HighErrorRate resolved' },
    });
    expect((await receive({ ...firing, status: 'resolved' })).action).toBe('none');
    expect(await incidents.list({ status: 'all' })).toHaveLength(1);
  });

  it('is keyed by its group: the same group in another environment or another group differs', () => {
    expect(key).toMatch(/^alert:shop\/production\/[0-9a-f]{16}$/);
    expect(alertKey('shop', 'production', { ...firing, alerts: [] })).toBe(key);
    expect(alertKey('shop', 'staging', firing)).not.toBe(key);
    expect(alertKey('shop', 'production', { ...firing, groupKey: '{}:{alertname="Slow"}' })).not.toBe(key);
    // Without a groupKey: the receiver and group labels it is made from.
    const { groupKey: _, ...bare } = firing;
    expect(alertKey('shop', 'production', bare)).toBe(
      alertKey('shop', 'production', { ...bare, alerts: [] }),
    );
    expect(alertKey('shop', 'production', bare)).not.toBe(
      alertKey('shop', 'production', { ...bare, groupLabels: { alertname: 'Slow' } }),
    );
  });
});

describe('a deployment started while an incident is open in its environment', () => {
  const start = async (
    environment: string,
    extra: { kind?: 'rollback'; unplannedReason?: 'hotfix' } = {},
  ) => {
    const id = `sha256:${String(Math.random()).slice(2).padEnd(64, '0').slice(0, 64)}`;
    await catalog.recordArtifact({ id, service: 'shop', cacheKey: id, sizeBytes: 1 });
    return catalog.startDeployment({
      service: 'shop',
      environment,
      artifactId: id,
      strategy: 'rolling',
      actor: 'ada',
      ...extra,
    });
  };

  it('is unplanned with reason incident; rollback and hotfix keep theirs; other environments and resolved incidents do not count', async () => {
    await catalog.ensureEnvironment('shop', 'staging', 'persistent');
    expect((await start('production')).unplannedReason).toBeNull();
    const incident = await incidents.open({ service: 'shop', environment: 'production', title: 'x' }, system);
    expect((await start('production')).unplannedReason).toBe('incident');
    expect((await start('production', { unplannedReason: 'hotfix' })).unplannedReason).toBe('hotfix');
    expect((await start('production', { kind: 'rollback' })).unplannedReason).toBe('rollback');
    expect((await start('staging')).unplannedReason).toBeNull();
    await incidents.acknowledge(incident.id, system);
    expect((await start('production')).unplannedReason).toBe('incident');
    await incidents.resolve(incident.id, undefined, system);
    expect((await start('production')).unplannedReason).toBeNull();
  });
});
