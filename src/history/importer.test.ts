import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../audit/index.js';
import { type Catalog, createCatalog } from '../catalog/index.js';
import type { CommitFacts } from '../core/git.js';
import { createIncidents } from '../incidents/index.js';
import { outcomeOf } from '../metrics/index.js';
import { createPolicies } from '../policy/index.js';
import { tempStore } from '../store/testing.js';
import { createHistoryImport, type HistoryImport, parseDeployments, parseIncidents } from './index.js';

let t: Awaited<ReturnType<typeof tempStore>>;
let catalog: Catalog;
let history: HistoryImport;
const by = { actor: { kind: 'user' as const, name: 'ada' }, where: { host: 'laptop' } };

/** A linear history c1 ← c2 ← c3 ← c4 ← c5, one day apart in November 2025. */
const sha = (n: number) => String(n).repeat(40).slice(0, 40);
const commits: CommitFacts[] = [1, 2, 3, 4, 5].map((n) => ({
  sha: sha(n),
  parents: n === 1 ? [] : [sha(n - 1)],
  author: 'Ada <ada@example.com>',
  authoredAt: `2025-11-0${n}T09:00:00.000Z`,
  committedAt: `2025-11-0${n}T09:00:00.000Z`,
  subject: `change ${n}`,
  linesAdded: n,
  linesDeleted: 0,
}));

// In the file out of order on purpose: ranges follow start times, not lines.
const DEPLOYMENTS = `id,service,environment,commitSha,startedAt,finishedAt,outcome,kind,unplannedReason,artifact
d3,shop,production,${sha(4)},2025-12-03T10:00:00Z,2025-12-03T10:05:00Z,succeeded,,,shop:1.1
d1,shop,production,${sha(2)},2025-12-01T11:00:00+01:00,2025-12-01T10:05:00Z,succeeded,deploy,,shop:1.0
d2,shop,production,${sha(4)},2025-12-02T10:00:00Z,2025-12-02T10:09:00Z,rolledBack,deploy,,shop:1.1
d4,shop,production,${sha(2)},2025-12-04T10:00:00Z,2025-12-04T10:02:00Z,succeeded,rollback,,shop:1.0
d5,shop,staging,${sha(5)},2025-12-04T12:00:00Z,2025-12-04T12:01:00Z,failedAnalysis,,,
`;

beforeEach(async () => {
  t = await tempStore();
  catalog = createCatalog({ store: t.store, clock: t.clock });
  const audit = createAuditLog({ store: t.store, clock: t.clock });
  history = createHistoryImport({
    store: t.store,
    audit,
    clock: t.clock,
    catalog,
    policies: createPolicies({ store: t.store, audit, clock: t.clock }),
  });
  await catalog.ensureService('shop');
  await catalog.ensureEnvironment('shop', 'staging', 'persistent');
  await catalog.ensureEnvironment('shop', 'production', 'persistent');
});
afterEach(async () => {
  await t.cleanup();
});

const file = (text: string, name = 'deployments.csv') => ({ name, text });

/** Each imported deployment's external id → its shipped shas (sorted) and range status. */
async function ranges(): Promise<Record<string, { shas: string[]; status: string | null }>> {
  const rows = await t.store.db
    .selectFrom('deployments')
    .select(['id', 'external_id', 'range_status'])
    .where('imported', '=', 1)
    .execute();
  const out: Record<string, { shas: string[]; status: string | null }> = {};
  for (const r of rows) {
    const shas = await t.store.db
      .selectFrom('deployment_commits')
      .select('sha')
      .where('deployment_id', '=', r.id)
      .execute();
    out[r.external_id ?? r.id] = { shas: shas.map((s) => s.sha).sort(), status: r.range_status };
  }
  return out;
}

const EXPECTED = {
  d1: { shas: [sha(1), sha(2)], status: 'complete' }, // the first deployment ships its history
  d2: { shas: [sha(3), sha(4)], status: 'complete' }, // new since d1
  d3: { shas: [sha(3), sha(4)], status: 'complete' }, // d2 was rolled back: shipped again
  d4: { shas: [], status: 'complete' }, // a rollback ships nothing new
  d5: { shas: [1, 2, 3, 4, 5].map(sha), status: 'complete' }, // another environment
};

describe('importing deployments', () => {
  it('marks them imported and computes their ranges in start-time order per environment', async () => {
    await history.commits({ service: 'shop', commits, last: false }, by);
    const result = await history.deployments(parseDeployments(file(DEPLOYMENTS)), by);
    expect(result).toEqual({
      kind: 'deployments',
      file: 'deployments.csv',
      rows: 5,
      imported: 5,
      skipped: 0,
      ranges: { complete: 5, partial: 0, none: 0 },
    });
    expect(await ranges()).toEqual(EXPECTED);
    const listed = await catalog.listDeployments({ service: 'shop' });
    const d1 = listed.find((d) => d.externalId === 'd1');
    expect(d1).toMatchObject({
      environment: 'production',
      status: 'succeeded',
      startedAt: '2025-12-01T10:00:00.000Z', // +01:00 read as the instant it is
      finishedAt: '2025-12-01T10:05:00.000Z',
      imported: true,
      strategy: 'imported',
      actor: 'ada',
      kind: 'deploy',
      artifactId: 'imported:shop:shop:1.0',
    });
    expect(listed.find((d) => d.externalId === 'd4')).toMatchObject({
      kind: 'rollback',
      unplannedReason: 'rollback',
    });
    const d5 = await t.store.db
      .selectFrom('deployments')
      .selectAll()
      .where('external_id', '=', 'd5')
      .executeTakeFirstOrThrow();
    // Stored as the controller stores a release sent back after serving users.
    expect([d5.status, d5.served_at, d5.failed_analysis, d5.outcome, d5.artifact_id]).toEqual([
      'failed',
      d5.started_at,
      1,
      'failedAnalysis',
      `imported:shop:${sha(5)}`,
    ]);
    expect(outcomeOf(d5)).toBe('failedAnalysis');
    // Their artifacts were never stored here: not listed, so never offered to a deploy.
    expect(await catalog.listArtifacts({ service: 'shop' })).toEqual([]);
  });

  it('gives the same ranges when the commits are imported after the deployments', async () => {
    const first = await history.deployments(parseDeployments(file(DEPLOYMENTS)), by);
    expect(first.ranges).toEqual({ complete: 0, partial: 0, none: 5 });
    const page = await history.commits({ service: 'shop', commits, last: true }, by);
    expect(page).toMatchObject({ imported: 5, skipped: 0, ranges: { complete: 5, partial: 0, none: 0 } });
    expect(await ranges()).toEqual(EXPECTED);
    const again = await history.commits({ service: 'shop', commits, last: true }, by);
    expect(again).toMatchObject({ imported: 0, skipped: 5 });
    expect(await ranges()).toEqual(EXPECTED);
  });

  it('is not cut short by a recorded deployment that started later', async () => {
    await history.commits({ service: 'shop', commits, last: false }, by);
    await catalog.recordArtifact({
      id: `sha256:${'a'.repeat(64)}`,
      service: 'shop',
      cacheKey: 'k',
      sizeBytes: 1,
      commitSha: sha(5),
    });
    const recorded = await catalog.startDeployment({
      service: 'shop',
      environment: 'production',
      artifactId: `sha256:${'a'.repeat(64)}`,
      strategy: 'rolling',
      actor: 'ada',
    });
    await catalog.setDeploymentStatus(recorded.id, 'succeeded', undefined);
    await history.deployments(parseDeployments(file(DEPLOYMENTS)), by);
    expect(await ranges()).toEqual(EXPECTED);
    // The recorded one keeps its first-hand range: all five commits.
    const kept = await t.store.db
      .selectFrom('deployment_commits')
      .select('sha')
      .where('deployment_id', '=', recorded.id)
      .execute();
    expect(kept).toHaveLength(5);
  });

  it('says partial where the recorded history ends (a shallow clone), and none without the commit', async () => {
    // c1 is missing: a shallow clone's boundary; c9 was never recorded at all.
    await history.commits({ service: 'shop', commits: commits.slice(1), last: false }, by);
    const text = `id,service,environment,commitSha,startedAt,finishedAt,outcome
p1,shop,production,${sha(3)},2025-12-01T10:00:00Z,2025-12-01T10:05:00Z,succeeded
p2,shop,production,${sha(4)},2025-12-02T10:00:00Z,2025-12-02T10:05:00Z,succeeded
p3,shop,production,${sha(9)},2025-12-03T10:00:00Z,2025-12-03T10:05:00Z,succeeded
`;
    const result = await history.deployments(parseDeployments(file(text)), by);
    expect(result.ranges).toEqual({ complete: 1, partial: 1, none: 1 });
    expect(await ranges()).toEqual({
      p1: { shas: [sha(2), sha(3)], status: 'partial' }, // reached c2, whose parent c1 is unknown
      p2: { shas: [sha(4)], status: 'complete' }, // stopped at c3, shipped by p1
      p3: { shas: [], status: 'none' },
    });
  });

  it('skips rows imported before and refuses one whose values changed, importing nothing', async () => {
    await history.deployments(parseDeployments(file(DEPLOYMENTS)), by);
    const again = await history.deployments(parseDeployments(file(DEPLOYMENTS)), by);
    expect(again).toMatchObject({ rows: 5, imported: 0, skipped: 5 });
    const changed = `${DEPLOYMENTS.replace('d2,shop,production', 'd2,shop,staging')}d6,shop,production,${sha(5)},2025-12-05T10:00:00Z,2025-12-05T10:01:00Z,succeeded,,,\n`;
    await expect(history.deployments(parseDeployments(file(changed)), by)).rejects.toMatchObject({
      code: 'FLOWLINE_IMPORT_INVALID',
      issues: [
        {
          code: 'FLOWLINE_IMPORT_DUPLICATE',
          file: 'deployments.csv',
          line: 4,
          path: 'environment',
          message:
            'the id `d2` was imported before with another environment (another value; this row says staging)',
        },
      ],
    });
    const count = await t.store.db
      .selectFrom('deployments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(5); // d6 was not imported either
  });

  it('refuses an unknown service or environment once each, naming the first row and the count', async () => {
    const text = `id,service,environment,commitSha,startedAt,finishedAt,outcome
a,shpo,production,${sha(1)},2025-12-01T10:00:00Z,2025-12-01T10:01:00Z,succeeded
b,shpo,production,${sha(1)},2025-12-02T10:00:00Z,2025-12-02T10:01:00Z,succeeded
c,shop,prod,${sha(1)},2025-12-02T10:00:00Z,2025-12-02T10:01:00Z,succeeded
`;
    await expect(history.deployments(parseDeployments(file(text)), by)).rejects.toMatchObject({
      issues: [
        {
          code: 'FLOWLINE_IMPORT_UNKNOWN_SERVICE',
          line: 2,
          path: 'service',
          message: 'no service is named `shpo` (2 rows name it)',
          hint: 'did you mean `shop`?',
        },
        {
          code: 'FLOWLINE_IMPORT_UNKNOWN_SERVICE',
          line: 4,
          path: 'environment',
          hint: 'did you mean `production`?',
        },
      ],
    });
  });
});

describe('importing incidents', () => {
  const INCIDENTS = `id,service,environment,title,openedAt,acknowledgedAt,resolvedAt,causeDeployment
i1,shop,production,checkout 500s,2025-12-02T10:05:00Z,2025-12-02T10:06:00Z,2025-12-02T10:09:00Z,d2
i2,shop,production,slow search,2025-12-03T12:00:00Z,,2025-12-03T13:00:00Z,
i3,shop,production,still open,2025-12-05T08:00:00Z,,,
`;

  it('links named causes by their external id, infers the others, and marks them imported', async () => {
    await history.deployments(parseDeployments(file(DEPLOYMENTS)), by);
    const result = await history.incidents(parseIncidents(file(INCIDENTS, 'incidents.csv')), by);
    expect(result).toEqual({ kind: 'incidents', file: 'incidents.csv', rows: 3, imported: 3, skipped: 0 });
    const ids = Object.fromEntries(
      (await t.store.db.selectFrom('deployments').select(['id', 'external_id']).execute()).map((d) => [
        d.external_id,
        d.id,
      ]),
    );
    const incidents = createIncidents({
      store: t.store,
      audit: createAuditLog({ store: t.store, clock: t.clock }),
      clock: t.clock,
    });
    const listed = await incidents.list({ status: 'all' });
    expect(listed.map((i) => [i.title, i.status, i.source, i.cause])).toEqual([
      ['still open', 'open', 'imported', { kind: 'deployment', id: ids.d4, inferred: true }],
      ['slow search', 'resolved', 'imported', { kind: 'deployment', id: ids.d3, inferred: true }],
      ['checkout 500s', 'resolved', 'imported', { kind: 'deployment', id: ids.d2, inferred: false }],
    ]);
    expect(listed[1]).toMatchObject({
      acknowledgedAt: '2025-12-03T13:00:00.000Z',
      resolvedAt: '2025-12-03T13:00:00.000Z',
    });
    const again = await history.incidents(parseIncidents(file(INCIDENTS, 'incidents.csv')), by);
    expect(again).toMatchObject({ imported: 0, skipped: 3 });
  });

  it('refuses an unknown cause, and a cause from another environment, importing nothing', async () => {
    await history.deployments(parseDeployments(file(DEPLOYMENTS)), by);
    const text = `${INCIDENTS}i4,shop,production,x,2025-12-05T09:00:00Z,,,d9\ni5,shop,production,y,2025-12-05T09:00:00Z,,,d5\n`;
    await expect(history.incidents(parseIncidents(file(text, 'incidents.csv')), by)).rejects.toMatchObject({
      code: 'FLOWLINE_IMPORT_INVALID',
      issues: [
        {
          code: 'FLOWLINE_IMPORT_UNKNOWN_CAUSE',
          line: 5,
          path: 'causeDeployment',
          message: 'no deployment of shop has the id `d9`',
        },
        {
          code: 'FLOWLINE_IMPORT_UNKNOWN_CAUSE',
          line: 6,
          message: '`d5` was a deployment to staging, not production',
        },
      ],
    });
    const count = await t.store.db
      .selectFrom('incidents')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });
});
