import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../audit/index.js';
import { type Catalog, createCatalog } from '../catalog/index.js';
import { tempStore } from '../store/testing.js';
import { createIncidents, type Incidents } from './index.js';

let t: Awaited<ReturnType<typeof tempStore>>;
let catalog: Catalog;
let incidents: Incidents;
const ada = { actor: { kind: 'user' as const, name: 'ada' }, where: { host: 'laptop' } };
const bob = { actor: { kind: 'token' as const, name: 'oncall' }, where: { host: 'laptop' } };

beforeEach(async () => {
  t = await tempStore();
  catalog = createCatalog({ store: t.store, clock: t.clock });
  incidents = createIncidents({
    store: t.store,
    audit: createAuditLog({ store: t.store, clock: t.clock }),
    clock: t.clock,
  });
  await catalog.ensureService('shop');
  await catalog.ensureEnvironment('shop', 'staging', 'persistent');
  await catalog.ensureEnvironment('shop', 'production', 'persistent');
});
afterEach(async () => {
  await t.cleanup();
});

async function deploy(environment: string) {
  const id = `sha256:${String(Math.random()).slice(2).padEnd(64, '0').slice(0, 64)}`;
  await catalog.recordArtifact({ id, service: 'shop', cacheKey: id, sizeBytes: 1 });
  return catalog.startDeployment({
    service: 'shop',
    environment,
    artifactId: id,
    strategy: 'rolling',
    actor: 'ada',
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
