import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../audit/index.js';
import { tempStore } from '../store/testing.js';
import { type Catalog, createCatalog } from './index.js';

let t: Awaited<ReturnType<typeof tempStore>>;
let catalog: Catalog;
beforeEach(async () => {
  t = await tempStore();
  catalog = createCatalog({ store: t.store, clock: t.clock });
});
afterEach(async () => {
  await t.cleanup();
});

const where = { host: 'laptop' };
const sha = (c: string) => `sha256:${c.repeat(64)}`;

describe('services', () => {
  it('registers a service once and updates its config path', async () => {
    const shop = await catalog.ensureService('shop', 'shop/flowline.yaml');
    expect(shop).toEqual({
      id: expect.stringMatching(/^svc_/),
      name: 'shop',
      configPath: 'shop/flowline.yaml',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(await catalog.ensureService('shop')).toEqual(shop);
    expect(await catalog.ensureService('shop', 'apps/shop/flowline.yaml')).toEqual({
      ...shop,
      configPath: 'apps/shop/flowline.yaml',
    });
    await catalog.ensureService('api');
    expect((await catalog.listServices()).map((s) => s.name)).toEqual(['api', 'shop']);
    expect(await catalog.getService('shop')).toMatchObject({ id: shop.id });
    expect(await catalog.findService('nope')).toBeUndefined();
  });

  it('reports an unknown service by name', async () => {
    await expect(catalog.getService('nope')).rejects.toMatchObject({
      code: 'FLOWLINE_NOT_FOUND',
      message: 'No service is named nope.',
    });
    await expect(catalog.listRuns({ service: 'nope' })).rejects.toMatchObject({ code: 'FLOWLINE_NOT_FOUND' });
  });

  it.each(['', 'has space', 'a/b', 'x'.repeat(129)])('refuses the name %j', async (name) => {
    await expect(catalog.ensureService(name)).rejects.toMatchObject({ code: 'FLOWLINE_REQUEST_INVALID' });
  });

  it('registers a service once when two processes race', async () => {
    const other = createCatalog({ store: await t.open(), clock: t.clock });
    const [a, b] = await Promise.all([catalog.ensureService('shop'), other.ensureService('shop')]);
    expect(a.id).toBe(b.id);
  });
});

describe('environments', () => {
  it('creates live environments per service and returns an existing one unchanged', async () => {
    await catalog.ensureService('shop');
    await catalog.ensureService('api');
    const prod = await catalog.ensureEnvironment('shop', 'production', 'persistent');
    t.clock.advance(1000);
    const preview = await catalog.ensureEnvironment('shop', 'pr-12', 'ephemeral', {
      branch: 'feature/x',
      pullRequest: 12,
      expiresAt: '2026-01-08T00:00:00Z',
    });
    await catalog.ensureEnvironment('api', 'production', 'persistent');
    expect(preview).toEqual({
      id: expect.stringMatching(/^env_/),
      service: 'shop',
      name: 'pr-12',
      kind: 'ephemeral',
      branch: 'feature/x',
      pullRequest: 12,
      expiresAt: '2026-01-08T00:00:00.000Z',
      createdAt: '2026-01-01T00:00:01.000Z',
    });
    expect(await catalog.ensureEnvironment('shop', 'production', 'ephemeral')).toEqual(prod);
    expect((await catalog.listEnvironments('shop')).map((e) => e.name)).toEqual(['production', 'pr-12']);
    expect((await catalog.listEnvironments()).map((e) => `${e.service}/${e.name}`)).toEqual([
      'api/production',
      'shop/production',
      'shop/pr-12',
    ]);
  });

  it('lets a deleted preview environment’s name be used again', async () => {
    await catalog.ensureService('shop');
    const first = await catalog.ensureEnvironment('shop', 'pr-1', 'ephemeral');
    const raw = new Database(t.file);
    raw.prepare("update environments set deleted_at = '2026-01-02T00:00:00.000Z' where id = ?").run(first.id);
    raw.close();
    expect(await catalog.listEnvironments('shop')).toEqual([]);
    const second = await catalog.ensureEnvironment('shop', 'pr-1', 'ephemeral');
    expect(second.id).not.toBe(first.id);
  });

  it('needs the service to exist and valid options', async () => {
    await expect(catalog.ensureEnvironment('ghost', 'production', 'persistent')).rejects.toMatchObject({
      code: 'FLOWLINE_NOT_FOUND',
    });
    await catalog.ensureService('shop');
    await expect(catalog.ensureEnvironment('shop', 'x', 'temporary' as never)).rejects.toMatchObject({
      location: { path: 'kind' },
    });
    await expect(
      catalog.ensureEnvironment('shop', 'x', 'ephemeral', { pullRequest: -1 }),
    ).rejects.toMatchObject({
      location: { path: 'pullRequest' },
    });
  });
});

describe('artifacts, runs and deployments', () => {
  async function seed() {
    await catalog.ensureService('shop');
    await catalog.ensureService('api');
    await catalog.ensureEnvironment('shop', 'staging', 'persistent');
    await catalog.ensureEnvironment('shop', 'production', 'persistent');
    await catalog.ensureEnvironment('api', 'production', 'persistent');
  }

  it('records an artifact once per content hash', async () => {
    await seed();
    const first = await catalog.recordArtifact({
      id: sha('a'),
      service: 'shop',
      cacheKey: 'k1',
      commitSha: 'c1',
      sizeBytes: 10,
    });
    t.clock.advance(1000);
    const again = await catalog.recordArtifact({
      id: sha('a'),
      service: 'shop',
      cacheKey: 'k2',
      sizeBytes: 10,
    });
    expect(again).toEqual(first);
    expect(first).toEqual({
      id: sha('a'),
      service: 'shop',
      cacheKey: 'k1',
      commitSha: 'c1',
      sizeBytes: 10,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    await catalog.recordArtifact({ id: sha('b'), service: 'api', cacheKey: 'k3', sizeBytes: 1 });
    expect((await catalog.listArtifacts()).map((a) => a.id)).toEqual([sha('b'), sha('a')]);
    expect((await catalog.listArtifacts({ service: 'shop' })).map((a) => a.id)).toEqual([sha('a')]);
    expect(await catalog.listArtifacts({ limit: 1 })).toHaveLength(1);
  });

  it('starts and finishes runs', async () => {
    await seed();
    const run = await catalog.startRun({
      service: 'shop',
      branch: 'main',
      commit: { sha: 'c1', authorTime: '2025-12-31T23:00:00.000Z', message: 'Fix checkout' },
      where: { host: 'ci-1', ci: { provider: 'github-actions', runId: '9' } },
    });
    expect(run).toMatchObject({
      status: 'running',
      service: 'shop',
      commitMessage: 'Fix checkout',
      finishedAt: null,
    });
    await catalog.recordArtifact({ id: sha('a'), service: 'shop', cacheKey: 'k', sizeBytes: 1 });
    t.clock.advance(60_000);
    const done = await catalog.finishRun(run.id, 'succeeded', sha('a'));
    expect(done).toMatchObject({
      status: 'succeeded',
      artifactId: sha('a'),
      finishedAt: '2026-01-01T00:01:00.000Z',
    });
    expect(await catalog.listRuns({ service: 'shop' })).toEqual([done]);
    expect(done.where).toEqual({ host: 'ci-1', ci: { provider: 'github-actions', runId: '9' } });
    await expect(catalog.finishRun('run_nope', 'failed')).rejects.toMatchObject({
      code: 'FLOWLINE_NOT_FOUND',
    });
  });

  it('records deployments and filters them by service and environment', async () => {
    await seed();
    await catalog.recordArtifact({ id: sha('a'), service: 'shop', cacheKey: 'k', sizeBytes: 1 });
    await catalog.recordArtifact({ id: sha('b'), service: 'api', cacheKey: 'k', sizeBytes: 1 });
    const toStaging = await catalog.startDeployment({
      service: 'shop',
      environment: 'staging',
      artifactId: sha('a'),
      strategy: 'all-at-once',
      actor: 'alice',
    });
    t.clock.advance(1000);
    await catalog.startDeployment({
      service: 'shop',
      environment: 'production',
      artifactId: sha('a'),
      strategy: 'canary',
      actor: 'alice',
    });
    t.clock.advance(1000);
    await catalog.startDeployment({
      service: 'api',
      environment: 'production',
      artifactId: sha('b'),
      strategy: 'canary',
      actor: 'bob',
    });
    const finished = await catalog.setDeploymentStatus(
      toStaging.id,
      'failed',
      'smoke test /health answered 500',
    );
    expect(finished).toMatchObject({
      status: 'failed',
      environment: 'staging',
      reason: 'smoke test /health answered 500',
      finishedAt: '2026-01-01T00:00:02.000Z',
    });
    const label = (d: { service: string; environment: string }) => `${d.service}/${d.environment}`;
    expect((await catalog.listDeployments()).map(label)).toEqual([
      'api/production',
      'shop/production',
      'shop/staging',
    ]);
    expect((await catalog.listDeployments({ environment: 'production' })).map(label)).toEqual([
      'api/production',
      'shop/production',
    ]);
    expect(
      (await catalog.listDeployments({ service: 'shop', environment: 'production' })).map(label),
    ).toEqual(['shop/production']);
    await expect(
      catalog.startDeployment({
        service: 'shop',
        environment: 'qa',
        artifactId: sha('a'),
        strategy: 'x',
        actor: 'a',
      }),
    ).rejects.toMatchObject({ code: 'FLOWLINE_NOT_FOUND' });
  });

  it('commits a deployment together with its audit event, or neither', async () => {
    await seed();
    await catalog.recordArtifact({ id: sha('a'), service: 'shop', cacheKey: 'k', sizeBytes: 1 });
    const audit = createAuditLog({ store: t.store, clock: t.clock });
    const attempt = t.store.write(async (tx) => {
      const dep = await catalog.startDeployment(
        {
          service: 'shop',
          environment: 'staging',
          artifactId: sha('a'),
          strategy: 'all-at-once',
          actor: 'alice',
        },
        tx,
      );
      await audit.append(
        { actor: { kind: 'user', name: 'alice' }, action: 'deploy.start', target: dep.id, where },
        tx,
      );
      throw new Error('runtime refused');
    });
    await expect(attempt).rejects.toThrow('runtime refused');
    expect(await catalog.listDeployments()).toEqual([]);
    expect(await audit.list()).toEqual([]);
  });

  it('rejects a limit out of range', async () => {
    await expect(catalog.listRuns({ limit: 1001 })).rejects.toMatchObject({ location: { path: 'limit' } });
  });
});
