import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../audit/index.js';
import { type Catalog, createCatalog } from '../catalog/index.js';
import { createEventBus, type FlowlineEvent } from '../core/events.js';
import { tempStore } from '../store/testing.js';
import { type AlertNotification, alertKey, createIncidents, type Incidents } from './index.js';

let t: Awaited<ReturnType<typeof tempStore>>;
let catalog: Catalog;
let incidents: Incidents;
let announced: FlowlineEvent[];
const ada = { actor: { kind: 'user' as const, name: 'ada' }, where: { host: 'laptop' } };
const bob = { actor: { kind: 'token' as const, name: 'oncall' }, where: { host: 'laptop' } };
const system = { actor: { kind: 'user' as const, name: 'flowline' }, where: { host: 'server' } };
const where = { host: 'server' };

beforeEach(async () => {
  t = await tempStore();
  catalog = createCatalog({ store: t.store, clock: t.clock });
  const events = createEventBus();
  announced = [];
  events.subscribe((event) => announced.push(event));
  incidents = createIncidents({
    store: t.store,
    audit: createAuditLog({ store: t.store, clock: t.clock }),
    clock: t.clock,
    events,
  });
  await catalog.ensureService('shop');
  await catalog.ensureEnvironment('shop', 'staging', 'persistent');
  await catalog.ensureEnvironment('shop', 'production', 'persistent');
});
afterEach(async () => {
  await t.cleanup();
});

async function deploy(environment: string, extra: { kind?: 'rollback'; unplannedReason?: 'hotfix' } = {}) {
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
}

async function flagChange(environment: string, id: string) {
  await t.store.write((tx) =>
    tx
      .insertInto('flag_history')
      .values({
        id,
        service: 'shop',
        environment,
        version: 1,
        at: t.clock.now().toISOString(),
        actor_kind: 'user',
        actor_name: 'ada',
        action: 'flag.set',
        flags_json: '[]',
        summary: 'set',
        definition_json: '{"flags":{}}',
      })
      .execute(),
  );
}

describe('opening an incident', () => {
  it("links it to the environment's last change before it, marked inferred", async () => {
    expect(
      (await incidents.open({ service: 'shop', environment: 'production', title: 'quiet' }, ada)).cause,
    ).toBeNull();
    t.clock.advance(1000);
    const first = await deploy('production');
    await deploy('staging'); // another environment's change is not a cause
    t.clock.advance(1000);
    const incident = await incidents.open(
      { service: 'shop', environment: 'production', title: 'checkout 500s' },
      ada,
    );
    expect(incident).toMatchObject({
      id: expect.stringMatching(/^inc_/),
      service: 'shop',
      environment: 'production',
      title: 'checkout 500s',
      source: 'manual',
      status: 'open',
      openedBy: 'ada',
      openedAt: '2026-01-01T00:00:02.000Z',
      cause: { kind: 'deployment', id: first.id, inferred: true },
    });
    t.clock.advance(1000);
    await flagChange('production', 'fh_1');
    t.clock.advance(1000);
    const after = await incidents.open({ service: 'shop', environment: 'production', title: 'slow' }, ada);
    expect(after.cause).toEqual({ kind: 'flagChange', id: 'fh_1', inferred: true });
  });

  it('takes a deployment known to have caused it, only one of the same environment', async () => {
    const staging = await deploy('staging');
    const production = await deploy('production');
    const linked = await incidents.open(
      { service: 'shop', environment: 'production', title: 'x', deployment: production.id },
      ada,
    );
    expect(linked.cause).toEqual({ kind: 'deployment', id: production.id, inferred: false });
    await expect(
      incidents.open({ service: 'shop', environment: 'production', title: 'x', deployment: staging.id }, ada),
    ).rejects.toMatchObject({ code: 'FLOWLINE_NOT_FOUND', location: { path: 'deployment' } });
    await expect(
      incidents.open({ service: 'shop', environment: 'nope', title: 'x' }, ada),
    ).rejects.toMatchObject({
      code: 'FLOWLINE_NOT_FOUND',
    });
  });
});

describe('acknowledging and resolving', () => {
  it('records who and when, audits each move, and refuses to resolve twice', async () => {
    const opened = await incidents.open({ service: 'shop', environment: 'production', title: 'x' }, ada);
    t.clock.advance(60_000);
    const acked = await incidents.acknowledge(opened.id, bob);
    expect(acked).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'oncall',
      acknowledgedAt: '2026-01-01T00:01:00.000Z',
    });
    t.clock.advance(60_000);
    expect(await incidents.acknowledge(opened.id, ada)).toEqual(acked); // again: nothing changes
    const resolved = await incidents.resolve(opened.id, 'rolled back', ada);
    expect(resolved).toMatchObject({
      status: 'resolved',
      resolvedBy: 'ada',
      resolvedAt: '2026-01-01T00:02:00.000Z',
      resolution: 'rolled back',
      acknowledgedBy: 'oncall',
    });
    await expect(incidents.resolve(opened.id, undefined, ada)).rejects.toMatchObject({
      code: 'FLOWLINE_INCIDENT_RESOLVED',
    });
    await expect(incidents.acknowledge(opened.id, ada)).rejects.toMatchObject({
      code: 'FLOWLINE_INCIDENT_RESOLVED',
    });
    const audit = createAuditLog({ store: t.store, clock: t.clock });
    expect((await audit.list({ target: `incident:${opened.id}` })).map((e) => e.action).reverse()).toEqual([
      'incident.open',
      'incident.ack',
      'incident.resolve',
    ]);
  });

  it('resolving an incident nobody acknowledged acknowledges it at the same time', async () => {
    const opened = await incidents.open({ service: 'shop', environment: 'production', title: 'x' }, ada);
    const resolved = await incidents.resolve(opened.id, undefined, bob);
    expect(resolved).toMatchObject({
      acknowledgedBy: 'oncall',
      acknowledgedAt: resolved.resolvedAt,
      resolution: null,
    });
  });
});

describe('listing', () => {
  it('shows unresolved ones by default, newest first, and filters by service, environment and status', async () => {
    const a = await incidents.open({ service: 'shop', environment: 'production', title: 'a' }, ada);
    t.clock.advance(1000);
    const b = await incidents.open({ service: 'shop', environment: 'staging', title: 'b' }, ada);
    t.clock.advance(1000);
    const c = await incidents.open({ service: 'shop', environment: 'production', title: 'c' }, ada);
    await incidents.resolve(a.id, undefined, ada);
    const ids = async (filter: Parameters<Incidents['list']>[0]) =>
      (await incidents.list(filter)).map((i) => i.title);
    expect(await ids({})).toEqual(['c', 'b']);
    expect(await ids({ status: 'all' })).toEqual(['c', 'b', 'a']);
    expect(await ids({ status: 'resolved' })).toEqual(['a']);
    expect(await ids({ environment: 'production', status: 'all' })).toEqual(['c', 'a']);
    expect(await ids({ service: 'other' })).toEqual([]);
    expect(await incidents.get(b.id)).toMatchObject({ title: 'b', environment: 'staging' });
    await expect(incidents.get('inc_nope')).rejects.toMatchObject({ code: 'FLOWLINE_NOT_FOUND' });
    expect(c.status).toBe('open');
  });
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
    const d = await deploy('production');
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
  it('is unplanned with reason incident; rollback and hotfix keep theirs; other environments and resolved incidents do not count', async () => {
    expect((await deploy('production')).unplannedReason).toBeNull();
    const incident = await incidents.open({ service: 'shop', environment: 'production', title: 'x' }, system);
    expect((await deploy('production')).unplannedReason).toBe('incident');
    expect((await deploy('production', { unplannedReason: 'hotfix' })).unplannedReason).toBe('hotfix');
    expect((await deploy('production', { kind: 'rollback' })).unplannedReason).toBe('rollback');
    expect((await deploy('staging')).unplannedReason).toBeNull();
    await incidents.acknowledge(incident.id, system);
    expect((await deploy('production')).unplannedReason).toBe('incident');
    await incidents.resolve(incident.id, undefined, system);
    expect((await deploy('production')).unplannedReason).toBeNull();
  });
});

describe('announcements', () => {
  it('tells live displays of incidents opened, acknowledged and resolved, once committed', async () => {
    const opened = await incidents.open(
      { service: 'shop', environment: 'production', title: 'checkout down' },
      ada,
    );
    await incidents.acknowledge(opened.id, bob);
    await incidents.resolve(opened.id, 'fixed', bob);
    expect(announced.map((e) => [e.type, e.service, e.environment, e.subject, e.data?.status])).toEqual([
      ['incident.opened', 'shop', 'production', opened.id, 'open'],
      ['incident.acknowledged', 'shop', 'production', opened.id, 'acknowledged'],
      ['incident.resolved', 'shop', 'production', opened.id, 'resolved'],
    ]);
  });

  it('announces nothing for an incident whose transaction rolled back', async () => {
    await expect(
      t.store.write(async (tx) => {
        await incidents.openAutomatic(
          { service: 'shop', environment: 'production', title: 'x', source: 'alert', key: 'k', once: true },
          system,
          tx,
        );
        throw new Error('the change it belonged to failed');
      }),
    ).rejects.toThrow('failed');
    expect(announced).toEqual([]);
  });
});
