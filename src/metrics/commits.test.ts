import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Catalog, createCatalog, type DeploymentStatus } from '../catalog/index.js';
import type { CommitFacts, CommitHistory } from '../core/git.js';
import { tempStore } from '../store/testing.js';

/**
 * Commit ranges on the recorded graph. Commits are named by a letter (`a` → `aaaa…`, 40 chars);
 * graphs are drawn oldest on the left.
 */
let t: Awaited<ReturnType<typeof tempStore>>;
let catalog: Catalog;
let artifacts = 0;

beforeEach(async () => {
  t = await tempStore();
  catalog = createCatalog({ store: t.store, clock: t.clock });
  await catalog.ensureService('shop');
  await catalog.ensureEnvironment('shop', 'staging', 'persistent');
  await catalog.ensureEnvironment('shop', 'production', 'persistent');
});
afterEach(async () => {
  await t.cleanup();
});

const sha = (name: string) => name.repeat(40).slice(0, 40);

function commit(name: string, parents: string[]): CommitFacts {
  return {
    sha: sha(name),
    parents: parents.map(sha),
    author: 'Ada <ada@example.com>',
    authoredAt: '2026-03-01T10:00:00.000Z',
    committedAt: '2026-03-01T10:00:00.000Z',
    subject: name,
    linesAdded: 1,
    linesDeleted: 0,
  };
}

/** Records a run whose git walk read `commits` (newest first) from `head`. */
async function walk(head: string, commits: CommitFacts[], extra: Partial<CommitHistory> = {}): Promise<void> {
  const run = await catalog.startRun({ service: 'shop', where: { host: 'ci' } });
  await catalog.recordHistory(run.id, {
    head: sha(head),
    commits,
    truncated: false,
    shallow: false,
    ...extra,
  });
}

/** Deploys an artifact built from `head` and ends the deployment with `status`. */
async function deploy(environment: string, head: string | null, status: DeploymentStatus = 'succeeded') {
  artifacts += 1;
  const id = `sha256:${String(artifacts).padStart(64, '0')}`;
  await catalog.recordArtifact({
    id,
    service: 'shop',
    cacheKey: `k${artifacts}`,
    sizeBytes: 1,
    ...(head === null ? {} : { commitSha: sha(head) }),
  });
  const d = await catalog.startDeployment({
    service: 'shop',
    environment,
    artifactId: id,
    strategy: 'rolling',
    actor: 'ada',
  });
  await catalog.setDeploymentStatus(d.id, status);
  const shipped = await t.store.db
    .selectFrom('deployment_commits')
    .select('sha')
    .where('deployment_id', '=', d.id)
    .execute();
  return {
    deployment: d,
    shipped: shipped
      .map((r) => r.sha[0])
      .sort()
      .join(''),
  };
}

describe('the commit range a deployment ships', () => {
  it('is the whole recorded history for the first deployment, then only what is new', async () => {
    // a ← b ← c, later c ← d ← e
    await walk('c', [commit('c', ['b']), commit('b', ['a']), commit('a', [])]);
    const first = await deploy('production', 'c');
    expect(first.shipped).toBe('abc');
    expect(first.deployment).toMatchObject({ commitSha: sha('c'), kind: 'deploy', rangeStatus: 'complete' });
    await walk('e', [commit('e', ['d']), commit('d', ['c'])]);
    expect((await deploy('production', 'e')).shipped).toBe('de');
  });

  it('is counted per environment: staging twice, production once', async () => {
    await walk('b', [commit('b', ['a']), commit('a', [])]);
    expect((await deploy('staging', 'a')).shipped).toBe('a');
    expect((await deploy('staging', 'b')).shipped).toBe('b');
    expect((await deploy('production', 'b')).shipped).toBe('ab');
  });

  it('ships again what a failed or rolled-back deployment shipped', async () => {
    await walk('b', [commit('b', ['a']), commit('a', [])]);
    await deploy('production', 'a');
    expect((await deploy('production', 'b', 'rolled_back')).shipped).toBe('b');
    expect((await deploy('production', 'b', 'failed')).shipped).toBe('b');
    const again = await deploy('production', 'b');
    expect(again.shipped).toBe('b');
    // The same artifact once more: nothing new, and that is known, not unknown.
    const redeploy = await deploy('production', 'b');
    expect(redeploy.shipped).toBe('');
    expect(redeploy.deployment.rangeStatus).toBe('complete');
  });

  it('follows a squash merge and a force-push by the graph, not by order', async () => {
    // a ← b (deployed); a topic branch b ← t1 ← t2 was squashed into s (parent b).
    await walk('b', [commit('b', ['a']), commit('a', [])]);
    await deploy('production', 'b');
    await walk('s', [commit('s', ['b'])]);
    expect((await deploy('production', 's')).shipped).toBe('s');
    // History rewritten: r is a rewrite of s on top of b; production moves from s to r.
    await walk('r', [commit('r', ['b'])]);
    expect((await deploy('production', 'r')).shipped).toBe('r');
  });

  it('takes both sides of a merge once', async () => {
    // a ← b ← m and a ← x ← m
    await walk('m', [commit('m', ['b', 'x']), commit('x', ['a']), commit('b', ['a']), commit('a', [])]);
    await deploy('production', 'a');
    expect((await deploy('production', 'm')).shipped).toBe('bmx');
  });

  it('says partial at a boundary of the recorded history, and none without any record', async () => {
    // A shallow clone recorded only c; its parent b is unknown.
    await walk('c', [commit('c', ['b'])], { shallow: true });
    const shallow = await deploy('production', 'c');
    expect(shallow.shipped).toBe('c');
    expect(shallow.deployment.rangeStatus).toBe('partial');
    const unknown = await deploy('production', 'z');
    expect(unknown.shipped).toBe('');
    expect(unknown.deployment.rangeStatus).toBe('none');
    const outside = await deploy('production', null);
    expect(outside.deployment).toMatchObject({ commitSha: null, rangeStatus: 'none' });
  });

  it('lets the next walk stop at the heads already recorded', async () => {
    expect(await catalog.knownCommits('shop')).toEqual([]);
    expect(await catalog.knownCommits('nope')).toEqual([]);
    await walk('b', [commit('b', ['a']), commit('a', [])]);
    t.clock.advance(1000);
    await walk('c', [commit('c', ['b'])]);
    expect(await catalog.knownCommits('shop')).toEqual([sha('c'), sha('b')]);
  });
});
