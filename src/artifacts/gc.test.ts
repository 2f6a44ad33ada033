import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCatalog } from '../catalog/index.js';
import { createManualClock } from '../core/clock.js';
import { tempStore } from '../store/testing.js';
import {
  type ArtifactStore,
  createArtifactStore,
  findArtifactByCacheKey,
  referencedArtifacts,
} from './index.js';
import { makeTree, tempDir } from './testing.js';

const HOUR = 3_600_000;
let t: Awaited<ReturnType<typeof tempDir>>;
let clock: ReturnType<typeof createManualClock>;
let store: ArtifactStore;

beforeEach(async () => {
  t = await tempDir();
  clock = createManualClock();
  store = createArtifactStore({ root: path.join(t.dir, 'artifacts'), clock });
});
afterEach(async () => {
  await t.cleanup();
});

async function build(name: string, content: string) {
  await makeTree(path.join(t.dir, name), { 'index.js': content });
  return store.put(path.join(t.dir, name));
}

describe('gc', () => {
  it('removes what keep rejects and reports the bytes freed; keeps the rest intact', async () => {
    const kept = await build('v1', 'one');
    const dropped = await build('v2', 'two!');
    clock.advance(2 * HOUR);
    const result = await store.gc((digest) => digest === kept.digest);
    expect(result).toEqual({ removed: [dropped.digest], freedBytes: 4 });
    expect(await store.get(dropped.digest)).toBeUndefined();
    expect(await store.verify(kept.digest)).toEqual(kept);
    expect(await readdir(path.join(t.dir, 'artifacts', 'tmp'))).toEqual([]);
  });

  it('only reports what it would remove on a dry run', async () => {
    const a = await build('v1', 'one');
    clock.advance(2 * HOUR);
    expect(await store.gc(() => false, { dryRun: true })).toEqual({ removed: [a.digest], freedBytes: 3 });
    expect(await store.get(a.digest)).toEqual(a);
  });

  it('keeps an artifact stored, or stored again, within the grace period', async () => {
    const a = await build('v1', 'one');
    expect((await store.gc(() => false)).removed).toEqual([]);
    clock.advance(2 * HOUR);
    await build('v1', 'one'); // the pipeline reused it: it is fresh again
    clock.advance(HOUR / 2);
    expect((await store.gc(() => false)).removed).toEqual([]);
    clock.advance(HOUR);
    expect((await store.gc(() => false)).removed).toEqual([a.digest]);
  });

  it('never removes an artifact while it is being put', async () => {
    await makeTree(path.join(t.dir, 'big'), { 'a.bin': Buffer.alloc(4 * 1024 * 1024, 3) });
    const runs: Promise<{ removed: string[] }>[] = [];
    const ref = await store.put(path.join(t.dir, 'big'), {
      onProgress: () => {
        runs.push(store.gc(() => false, { graceMs: 0 }));
      },
    });
    const results = await Promise.all(runs);
    expect(results.length).toBeGreaterThan(1);
    for (const r of results) expect(r.removed).not.toContain(ref.digest);
    expect(await store.verify(ref.digest)).toEqual(ref);
  });
});

describe('catalog queries', () => {
  it('find an artifact by cache key and list those deployments and recent runs reference', async () => {
    const s = await tempStore();
    try {
      const catalog = createCatalog({ store: s.store, clock: s.clock });
      const where = { host: 'laptop' };
      await catalog.ensureService('shop');
      await catalog.ensureEnvironment('shop', 'production', 'persistent');
      const id = (c: string) => `sha256:${c.repeat(64)}`;
      for (const c of ['a', 'b', 'c', 'd']) {
        await catalog.recordArtifact({ id: id(c), service: 'shop', cacheKey: `key-${c}`, sizeBytes: 1 });
        s.clock.advance(1000);
      }
      const old = await catalog.startRun({ service: 'shop', where });
      await catalog.finishRun(old.id, 'succeeded', id('a'));
      await catalog.startDeployment({
        service: 'shop',
        environment: 'production',
        artifactId: id('b'),
        strategy: 'all-at-once',
        actor: 'alice',
      });
      s.clock.advance(20 * 24 * HOUR);
      const recent = await catalog.startRun({ service: 'shop', where });
      await catalog.finishRun(recent.id, 'succeeded', id('c'));

      const since = new Date(s.clock.now().getTime() - 14 * 24 * HOUR).toISOString();
      expect([...(await referencedArtifacts(s.store.db, since))].sort()).toEqual([id('b'), id('c')]);
      expect(await findArtifactByCacheKey(s.store.db, 'shop', 'key-d')).toMatchObject({ id: id('d') });
      expect(await findArtifactByCacheKey(s.store.db, 'shop', 'nope')).toBeUndefined();
    } finally {
      await s.cleanup();
    }
  });
});
