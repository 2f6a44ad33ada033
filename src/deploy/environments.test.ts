import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createArtifactStore } from '../artifacts/index.js';
import { makeTree } from '../artifacts/testing.js';
import { type AuditLog, createAuditLog } from '../audit/index.js';
import { type Catalog, createCatalog } from '../catalog/index.js';
import { parseConfig } from '../config/index.js';
import { FlowlineError } from '../core/errors.js';
import { createPolicies, type Policies, policyFromConfig } from '../policy/index.js';
import { tempStore } from '../store/testing.js';
import { type DeployRequest, SYSTEM_ACTOR } from './deps.js';
import { driftOf, type InstanceHealth } from './env-status.js';
import { EnvironmentService } from './environments.js';
import type { RevisionRuntime, TrafficRouter } from './ports.js';
import { previewName } from './previews.js';
import { DeployRecords } from './records.js';

const YAML = `version: 1
service: shop
run:
  command: node server.js
  port: { env: PORT }
  instances: 2
environments:
  preview: { ephemeral: true, ttl: 2h }
  staging: {}
`;
const where = { host: 'h' };
const alice = { kind: 'user' as const, name: 'alice' };
const principal = { tokenId: 'local', actor: alice, role: 'admin' as const, environments: null };
const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

let t: Awaited<ReturnType<typeof tempStore>>;
let catalog: Catalog;
let audit: AuditLog;
let records: DeployRecords;
let service: EnvironmentService;
let deployed: DeployRequest[];
let stopped: string[];
let removed: string[];
let running: Map<string, InstanceHealth[]>;
let logged: string[];
/** `<service>/<environment>` of each data folder, as the runtime creates one at the first start. */
let data: Set<string>;
/** Set: the fake runtime refuses to delete data, as the real one does while a revision runs. */
let dataInUse: boolean;
let policies: Policies;
/** Two real artifacts of shop, each with YAML sealed in it. */
let built: { a: string; b: string };

/** Records what a real deploy would: a succeeded deployment, its live revision and its route. */
async function fakeDeploy(request: DeployRequest) {
  deployed.push(request);
  const name = request.environment;
  const env = await catalog.ensureEnvironment('shop', name, 'persistent');
  const artifact = request.artifact ?? built.a;
  const serviceId = (await catalog.getService('shop')).id;
  const revision = `${artifact.slice(7, 15)}-${deployed.length}`;
  const d = await catalog.startDeployment({
    service: 'shop',
    environment: name,
    artifactId: artifact,
    strategy: 'allAtOnce',
    actor: 'alice',
  });
  await catalog.setDeploymentStatus(d.id, 'succeeded');
  await t.store.write((tx) =>
    records.insertRevision(tx, {
      revision,
      serviceId,
      environmentId: env.id,
      deploymentId: d.id,
      artifactId: artifact,
      spec: { instances: 2 } as never,
    }),
  );
  await records.setRevisionState(revision, 'live');
  const host = `${name}.shop.localhost`;
  await records.saveRoute(
    host,
    { serviceId, environmentId: env.id },
    { service: 'shop', environment: name, backends: [{ revision, weight: 100 }] },
  );
  data.add(`shop/${name}`);
  running.set(revision, [
    { id: `${revision}-1`, state: 'healthy', restarts: 0, pid: 1 },
    { id: `${revision}-2`, state: 'healthy', restarts: 0, pid: 2 },
  ]);
  return {
    deployment: (await catalog.listDeployments({ limit: 1 }))[0] as never,
    host,
    url: `http://${host}/`,
  };
}

beforeEach(async () => {
  t = await tempStore();
  catalog = createCatalog({ store: t.store, clock: t.clock });
  audit = createAuditLog({ store: t.store, clock: t.clock });
  records = new DeployRecords(t.store, t.clock);
  deployed = [];
  stopped = [];
  removed = [];
  running = new Map();
  data = new Set();
  dataInUse = false;
  logged = [];
  await catalog.ensureService('shop');
  const artifacts = createArtifactStore({ root: path.join(t.dir, 'artifacts'), clock: t.clock });
  const put = async (name: string) => {
    await makeTree(path.join(t.dir, name), { 'server.js': `// ${name}` });
    const ref = await artifacts.put(path.join(t.dir, name), { config: YAML });
    await catalog.recordArtifact({ id: ref.digest, service: 'shop', cacheKey: ref.digest, sizeBytes: 1 });
    return ref.digest;
  };
  built = { a: await put('a'), b: await put('b') };
  policies = createPolicies({ store: t.store, audit, clock: t.clock });
  const parsed = parseConfig(YAML, 'flowline.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  await policies.ensure('shop', () => policyFromConfig(parsed.config), { actor: alice, where });
  const runtime: RevisionRuntime = {
    start: async () => [],
    stop: async (revision) => {
      stopped.push(revision);
      running.delete(revision);
    },
    instances: async (revision) => (running.get(revision) ?? []).map((i) => ({ id: i.id, url: 'http://x' })),
    removeData: async (service, environment) => {
      if (dataInUse) throw new FlowlineError('FLOWLINE_REVISION_RUNNING', 'in use by shop-pr-5-x');
      return data.delete(`${service}/${environment}`);
    },
  };
  const router: TrafficRouter = {
    setRoute: () => {},
    removeRoute: (host) => {
      removed.push(host);
    },
    drain: async () => {},
  };
  service = new EnvironmentService({
    store: t.store,
    catalog,
    audit,
    clock: t.clock,
    records,
    runtime,
    router,
    policies,
    artifactPath: async (digest) => (await artifacts.get(digest))?.path,
    deploy: fakeDeploy,
    instances: async (revision) => running.get(revision) ?? [],
    urlFor: (host) => `http://${host}:8080/`,
    log: (line) => logged.push(line),
  });
});
afterEach(async () => {
  await t.cleanup();
});

describe('preview names', () => {
  it('are pr-<n> for a pull request, else br-<branch slug>, always a DNS label', () => {
    expect(previewName({ pullRequest: 12, branch: 'feature/x' })).toBe('pr-12');
    expect(previewName({ branch: 'Feature/Login_Page' })).toBe('br-feature-login-page');
    const long = previewName({ branch: `feature/${'very-long-'.repeat(10)}` });
    expect(long).toMatch(/^br-feature-very-long-[a-z0-9-]+-[0-9a-f]{6}$/);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).not.toBe(previewName({ branch: `feature/${'very-long-'.repeat(11)}` }));
  });

  it('need a branch with a letter or digit, or a positive pull request number', () => {
    expect(() => previewName({})).toThrow(/branch or a pull request/);
    expect(() => previewName({ branch: '///' })).toThrow(/no letter or digit/);
    expect(() => previewName({ pullRequest: 0 })).toThrow(/positive whole number/);
  });
});

describe('creating a preview', () => {
  it('records branch, pull request and expiry, audits it, and deploys the branch’s newest artifact', async () => {
    const run = await catalog.startRun({ service: 'shop', branch: 'feature/x', where });
    await catalog.finishRun(run.id, 'succeeded', built.b);
    const outcome = await service.create({
      service: 'shop',
      pullRequest: 7,
      branch: 'feature/x',
      principal,
      where,
    });
    expect(outcome.created).toBe(true);
    expect(outcome.environment).toMatchObject({
      name: 'pr-7',
      kind: 'ephemeral',
      branch: 'feature/x',
      pullRequest: 7,
      expiresAt: '2026-01-01T02:00:00.000Z', // the template's ttl
    });
    expect(deployed[0]).toMatchObject({ service: 'shop', environment: 'pr-7', artifact: built.b, principal });
    expect((await audit.list({ action: 'env.create' }))[0]).toMatchObject({
      actor: alice,
      target: 'env:shop/pr-7',
      details: { branch: 'feature/x', refreshed: false },
    });
  });

  it('refreshes the time to live and deploys again when the preview exists', async () => {
    await service.create({ service: 'shop', branch: 'feature/x', ttlMs: 60_000, principal, where });
    t.clock.advance(30_000);
    const again = await service.create({
      service: 'shop',
      branch: 'feature/x',
      ttlMs: 60_000,
      principal,
      where,
    });
    expect(again.created).toBe(false);
    expect(again.environment.expiresAt).toBe('2026-01-01T00:01:30.000Z');
    expect(deployed).toHaveLength(2);
  });

  it('refuses when the name belongs to someone else, or the policy has no preview template', async () => {
    await service.create({ service: 'shop', branch: 'feature/x', principal, where });
    await expect(
      service.create({ service: 'shop', branch: 'feature-x', principal, where }),
    ).rejects.toMatchObject({
      code: 'FLOWLINE_ENV_NAME_TAKEN',
    });
    await catalog.ensureEnvironment('shop', 'pr-3', 'persistent');
    await expect(service.create({ service: 'shop', pullRequest: 3, principal, where })).rejects.toMatchObject(
      {
        code: 'FLOWLINE_ENV_NAME_TAKEN',
      },
    );
    // The server's policy decides, not the artifact's flowline.yaml (which still has a template).
    const current = await policies.get('shop');
    const { preview: _, ...persistent } = current?.environments ?? {};
    await policies.apply('shop', { trunk: 'main', environments: persistent }, { actor: alice, where });
    await expect(service.create({ service: 'shop', pullRequest: 1, principal, where })).rejects.toMatchObject(
      {
        code: 'FLOWLINE_ENV_NO_TEMPLATE',
      },
    );
  });
});

describe('deleting environments', () => {
  it('removes the route, stops every revision, retires them and marks the environment deleted', async () => {
    await service.create({ service: 'shop', pullRequest: 4, principal, where });
    const [revision] = await records.revisions({ states: ['live'] });
    const outcome = await service.delete({ service: 'shop', name: 'pr-4', actor: alice, where });
    expect(outcome).toMatchObject({ host: 'pr-4.shop.localhost', revisions: [revision?.revision] });
    expect(removed).toEqual(['pr-4.shop.localhost']);
    expect(stopped).toEqual([revision?.revision]);
    expect(await records.routes()).toEqual([]);
    expect((await records.revision(revision?.revision ?? ''))?.state).toBe('retired');
    expect(await catalog.findEnvironment('shop', 'pr-4')).toBeUndefined();
    expect((await audit.list({ action: 'env.delete' }))[0]).toMatchObject({ target: 'env:shop/pr-4' });
    // A preview's data goes with it.
    expect(outcome.dataRemoved).toBe(true);
    expect(data.has('shop/pr-4')).toBe(false);
  });

  it("keeps a persistent environment's data when it is deleted, unless purged", async () => {
    const lines: string[] = [];
    const request = { service: 'shop', name: 'staging', force: true, actor: alice, where };
    await fakeDeploy({ service: 'shop', environment: 'staging', principal, where });
    const kept = await service.delete({ ...request, onProgress: (line) => lines.push(line) });
    expect([kept.dataRemoved, data.has('shop/staging')]).toEqual([false, true]);
    expect(lines).toContain('kept the data folder of staging: a deploy to staging finds it again');
    await fakeDeploy({ service: 'shop', environment: 'staging', principal, where });
    const purged = await service.delete({ ...request, purgeData: true });
    expect([purged.dataRemoved, data.has('shop/staging')]).toEqual([true, false]);
  });

  it('still deletes a preview whose data folder cannot go yet, says so, and sweeps it at the next start', async () => {
    await service.create({ service: 'shop', pullRequest: 5, principal, where });
    dataInUse = true;
    const lines: string[] = [];
    const request = { service: 'shop', name: 'pr-5', actor: alice, where };
    const outcome = await service.delete({ ...request, onProgress: (line) => lines.push(line) });
    expect(outcome.dataRemoved).toBe(false);
    expect(await catalog.findEnvironment('shop', 'pr-5')).toBeUndefined();
    expect(lines).toContain(
      'could not delete the data folder of shop/pr-5 yet: in use by shop-pr-5-x; the next start of flowline serve deletes it',
    );
    dataInUse = false;
    await service.sweep();
    expect(data.has('shop/pr-5')).toBe(false);
    expect(logged).toEqual(['deleted the data folder of shop/pr-5']);
  });

  it('refuses a persistent environment unless forced, and an unknown one', async () => {
    await fakeDeploy({ service: 'shop', environment: 'staging', principal, where });
    await expect(
      service.delete({ service: 'shop', name: 'staging', actor: alice, where }),
    ).rejects.toMatchObject({
      code: 'FLOWLINE_ENV_PERSISTENT',
    });
    await service.delete({ service: 'shop', name: 'staging', force: true, actor: alice, where });
    await expect(
      service.delete({ service: 'shop', name: 'staging', actor: alice, where }),
    ).rejects.toMatchObject({
      code: 'FLOWLINE_DEPLOY_UNKNOWN_ENVIRONMENT',
    });
  });

  it('deletes expired previews as Flowline itself, and only those', async () => {
    await service.create({ service: 'shop', pullRequest: 1, ttlMs: 60_000, principal, where });
    await service.create({ service: 'shop', pullRequest: 2, ttlMs: 120_000, principal, where });
    t.clock.advance(60_000);
    expect(await service.reapExpired(where)).toEqual(['shop/pr-1']);
    expect((await catalog.listEnvironments('shop')).map((e) => e.name)).toEqual(['pr-2']);
    expect((await audit.list({ action: 'env.expire' }))[0]).toMatchObject({ actor: SYSTEM_ACTOR });
  });

  it('finishes at start-up a teardown that a killed Flowline left half-done', async () => {
    await service.create({ service: 'shop', pullRequest: 5, principal, where });
    const [revision] = await records.revisions({ states: ['live'] });
    const env = await catalog.findEnvironment('shop', 'pr-5');
    await catalog.deleteEnvironment(env?.id ?? ''); // recorded, but its instances still run
    expect(await service.sweep()).toEqual([revision?.revision]);
    expect(data.has('shop/pr-5')).toBe(false);
    expect(await service.sweep()).toEqual([]);
  });

  it("never sweeps the data of a preview's name taken again, nor of a persistent environment", async () => {
    await service.create({ service: 'shop', pullRequest: 6, principal, where });
    await fakeDeploy({ service: 'shop', environment: 'staging', principal, where });
    for (const name of ['pr-6', 'staging']) {
      const env = await catalog.findEnvironment('shop', name);
      await catalog.deleteEnvironment(env?.id ?? ''); // killed before the data was deleted
    }
    await service.create({ service: 'shop', pullRequest: 6, principal, where }); // a new pr-6
    await service.sweep();
    expect([...data].sort()).toEqual(['shop/pr-6', 'shop/staging']);
  });
});

describe('environment status', () => {
  it('shows URL, artifact, commit and health, and drift when instances fall short', async () => {
    const run = await catalog.startRun({
      service: 'shop',
      branch: 'feature/x',
      commit: { sha: 'c0ffee', authorTime: '2026-01-01T00:00:00Z', message: 'm' },
      where,
    });
    await catalog.finishRun(run.id, 'succeeded', built.b);
    await service.create({ service: 'shop', pullRequest: 9, branch: 'feature/x', principal, where });
    const [status] = (await service.status('shop')).environments;
    expect(status).toMatchObject({
      name: 'pr-9',
      url: 'http://pr-9.shop.localhost:8080/',
      artifact: built.b,
      commit: 'c0ffee',
      health: { healthy: 2, desired: 2 },
      drift: [],
    });
    const [revision] = await records.revisions({ states: ['live'] });
    running.set(revision?.revision ?? '', [{ id: 'i', state: 'crashed', restarts: 1, pid: null }]);
    expect((await service.status()).environments[0]?.drift).toEqual(['0/2 healthy']);
  });
});

describe('drift', () => {
  const live = { revision: 'r2', artifact: B, desired: 2 };
  const route = { service: 's', environment: 'e', backends: [{ revision: 'r2', weight: 100 }] };
  const healthy = (n: number): InstanceHealth[] =>
    Array.from({ length: n }, (_, i) => ({ id: `i${i}`, state: 'healthy', restarts: 0, pid: i }));
  const base = { live, deployed: B, route, releasing: false, instances: healthy(2) };

  it('is empty when the live revision is what was deployed, fully routed and healthy', () => {
    expect(driftOf(base)).toEqual([]);
  });

  it('names each difference in short words', () => {
    expect(driftOf({ ...base, deployed: A })).toEqual([`deployed ${'a'.repeat(12)}, live ${'b'.repeat(12)}`]);
    expect(driftOf({ ...base, instances: healthy(1) })).toEqual(['1/2 healthy']);
    expect(driftOf({ ...base, instances: [] })).toEqual(['no instances']);
    expect(driftOf({ ...base, route: undefined })).toEqual(['no route']);
    const split = {
      ...route,
      backends: [
        { revision: 'r1', weight: 10 },
        { revision: 'r2', weight: 90 },
      ],
    };
    expect(driftOf({ ...base, route: split })).toEqual(['traffic 90% on live']);
    expect(driftOf({ ...base, live: undefined })).toEqual([`nothing live (deployed ${'b'.repeat(12)})`]);
  });

  it('leaves traffic and artifact to a release under way, and health to the runtime', () => {
    const split = { ...route, backends: [{ revision: 'r2', weight: 50 }] };
    expect(driftOf({ ...base, deployed: A, route: split, releasing: true })).toEqual([]);
    expect(driftOf({ ...base, instances: undefined })).toEqual([]);
  });
});
