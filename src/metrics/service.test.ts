import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../audit/index.js';
import { type Catalog, createCatalog, type DeploymentStatus } from '../catalog/index.js';
import { doraText } from '../cli/commands/metrics.js';
import type { CommitFacts } from '../core/git.js';
import { createIncidents, type Incidents } from '../incidents/index.js';
import { tempStore } from '../store/testing.js';
import { readChanges, readScopeRecords } from './reader.js';
import { createMetrics, type Metrics, metricsQuery } from './service.js';

/**
 * The metrics over a real store, recorded the way Flowline records them (runs with their git
 * walks, deployments through the catalog, an incident through the incident service), one week
 * of one service. Every expected figure is worked out by hand in the comments from the
 * timeline below, not read from the code.
 *
 *   a  committed 02-27 10:00Z   run1 02-27 11:00   P1 prod 03-01 10:00–10:10 succeeded (first: ships a)
 *   b  committed 03-02 09:00Z   run2 03-02 10:00 (build done 10:05, tests 10:12) → artifact C
 *   c  committed 03-02 09:30+02:00 (= 07:30Z), child of b
 *      S1 staging C 03-02 11:00–11:05, S2 staging C again 12:00–12:05 (ships nothing new)
 *                              P2 prod C 03-03 10:00–10:30 succeeded (ships b, c)
 *   d  committed 03-04 08:00Z   run3 → P3 prod 03-04 09:00–09:20 rolled back; incident by record 09:05–09:50
 *   e  committed 03-05 08:00Z   run4 → P4 prod hotfix 03-05 09:00–09:10 succeeded (ships d, e)
 *                              P5 rollback to C 03-06 10:00–10:05 succeeded (P4 counts as failed)
 *   f  committed 03-07 20:00Z   run5 21:00 → P6 prod 03-07 23:00 – 03-08 00:30 (after the window)
 *
 * Window: [03-01 00:00Z, 03-08 00:00Z), production.
 */
let t: Awaited<ReturnType<typeof tempStore>>;
let catalog: Catalog;
let incidents: Incidents;
let metrics: Metrics;
const deployments: Record<string, string> = {};
const ada = { actor: { kind: 'user' as const, name: 'ada' }, where: { host: 'laptop' } };

const sha = (name: string) => name.repeat(40);
const at = (time: string) => t.clock.set(`2026-${time}`);

function commit(name: string, parent: string | null, committedAt: string, lines: number): CommitFacts {
  return {
    sha: sha(name),
    parents: parent === null ? [] : [sha(parent)],
    author: 'Ada <ada@example.com>',
    authoredAt: committedAt,
    committedAt,
    subject: name,
    linesAdded: lines,
    linesDeleted: 1,
  };
}

/** A run at `time` whose walk read `commits` and whose build made the artifact named after `head`. */
async function run(
  time: string,
  head: string,
  commits: CommitFacts[],
  stages?: { built: string; tested: string },
) {
  at(time);
  const started = await catalog.startRun({ service: 'shop', where: { host: 'ci' } });
  await catalog.recordHistory(started.id, { head: sha(head), commits, truncated: false, shallow: false });
  const artifact = `sha256:${head.repeat(64)}`;
  await catalog.recordArtifact({
    id: artifact,
    service: 'shop',
    cacheKey: head,
    sizeBytes: 1,
    commitSha: sha(head),
  });
  if (stages !== undefined) {
    await t.store.write(async (tx) => {
      for (const [position, [name, kind, finished]] of [
        ['build', 'build', stages.built],
        ['unit', 'stage', stages.tested],
      ].entries()) {
        await tx
          .insertInto('run_stages')
          .values({
            run_id: started.id,
            name: name as string,
            position,
            kind: kind as 'build' | 'stage',
            status: 'succeeded',
            started_at: new Date(`2026-${time}`).toISOString(),
            finished_at: new Date(`2026-${finished}`).toISOString(),
            exit_code: 0,
            signal: null,
            log_path: null,
            reason: null,
          })
          .execute();
      }
    });
  }
  await catalog.finishRun(started.id, 'succeeded', artifact);
}

async function deploy(
  name: string,
  environment: string,
  head: string,
  [start, end]: [string, string | null],
  status: DeploymentStatus = 'succeeded',
  extra: { kind?: 'rollback'; unplannedReason?: 'hotfix' } = {},
) {
  at(start);
  const d = await catalog.startDeployment({
    service: 'shop',
    environment,
    artifactId: `sha256:${head.repeat(64)}`,
    strategy: 'rolling',
    actor: 'ada',
    ...extra,
  });
  deployments[name] = d.id;
  if (end === null) return;
  at(end);
  await catalog.setDeploymentStatus(d.id, status);
}

beforeEach(async () => {
  t = await tempStore();
  catalog = createCatalog({ store: t.store, clock: t.clock });
  incidents = createIncidents({
    store: t.store,
    audit: createAuditLog({ store: t.store, clock: t.clock }),
    clock: t.clock,
  });
  metrics = createMetrics({ store: t.store });
  await catalog.ensureService('shop');
  await catalog.ensureEnvironment('shop', 'staging', 'persistent');
  await catalog.ensureEnvironment('shop', 'production', 'persistent');

  await run('02-27T11:00:00Z', 'a', [commit('a', null, '2026-02-27T10:00:00Z', 10)]);
  await deploy('P1', 'production', 'a', ['03-01T10:00:00Z', '03-01T10:10:00Z']);
  await run(
    '03-02T10:00:00Z',
    'c',
    [commit('c', 'b', '2026-03-02T09:30:00+02:00', 20), commit('b', 'a', '2026-03-02T09:00:00Z', 30)],
    { built: '03-02T10:05:00Z', tested: '03-02T10:12:00Z' },
  );
  await deploy('S1', 'staging', 'c', ['03-02T11:00:00Z', '03-02T11:05:00Z']);
  await deploy('S2', 'staging', 'c', ['03-02T12:00:00Z', '03-02T12:05:00Z']);
  await deploy('P2', 'production', 'c', ['03-03T10:00:00Z', '03-03T10:30:00Z']);
  await run('03-04T08:30:00Z', 'd', [commit('d', 'c', '2026-03-04T08:00:00Z', 40)]);
  await deploy('P3', 'production', 'd', ['03-04T09:00:00Z', null]);
  at('03-04T09:05:00Z');
  const incident = await incidents.open(
    { service: 'shop', environment: 'production', title: 'checkout fails', deployment: deployments.P3 ?? '' },
    ada,
  );
  // It served users (a canary weight), then its release was sent back: `failed` after serving.
  await t.store.write((tx) =>
    tx
      .updateTable('deployments')
      .set({ served_at: '2026-03-04T09:01:00.000Z' })
      .where('id', '=', deployments.P3 ?? '')
      .execute(),
  );
  at('03-04T09:20:00Z');
  await catalog.setDeploymentStatus(deployments.P3 ?? '', 'failed');
  at('03-04T09:50:00Z');
  await incidents.resolve(incident.id, 'rolled back', ada);
  await run('03-05T08:30:00Z', 'e', [commit('e', 'd', '2026-03-05T08:00:00Z', 50)]);
  await deploy('P4', 'production', 'e', ['03-05T09:00:00Z', '03-05T09:10:00Z'], 'succeeded', {
    unplannedReason: 'hotfix',
  });
  await deploy('P5', 'production', 'c', ['03-06T10:00:00Z', '03-06T10:05:00Z'], 'succeeded', {
    kind: 'rollback',
  });
  await run('03-07T21:00:00Z', 'f', [commit('f', 'e', '2026-03-07T20:00:00Z', 60)]);
  await deploy('P6', 'production', 'f', ['03-07T23:00:00Z', '03-08T00:30:00Z']);
});
afterEach(async () => {
  await t.cleanup();
});

const window = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-08T00:00:00Z') };
const H = 3_600_000;
const M = 60_000;
const ids = (...names: string[]) => names.map((n) => deployments[n]);

describe('the DORA keys from the store', () => {
  it('computes every key from the recorded week', async () => {
    const result = await metrics.dora({ service: 'shop', window });
    expect(result.services).toHaveLength(1);
    const [r] = result.services;
    // Successful, finished in the window: P1, P2, P4, P5 (a rollback, counted); P3 rolled back,
    // P6 finished after the window. Days 03-01, 03-03, 03-05, 03-06.
    expect(r?.deploymentFrequency).toMatchObject({
      deployments: 4,
      rollbacks: 1,
      deploymentDays: 4,
      perWeek: 4,
    });
    expect(r?.deploymentFrequency.perDay).toBeCloseTo(4 / 7, 10);
    // a 2d 0h 10m (first deployment), b 25h 30m, c 27h (its +02:00 time is 07:30Z), d 25h 10m
    // (its first deployment was rolled back: shipped again by P4), e 1h 10m.
    // Sorted 1h10m, 25h10m, 25h30m, 27h, 48h10m: median 25h30m; p90 at 3.6 = 27h + 0.6 × 21h10m.
    const lead = r?.changeLeadTime;
    expect(lead?.count).toBe(5);
    expect([...(lead?.commitShas ?? [])].sort()).toEqual(['a', 'b', 'c', 'd', 'e'].map(sha));
    expect(lead?.medianMs).toBe(25 * H + 30 * M);
    expect(lead?.p90Ms).toBeCloseTo(27 * H + 0.6 * (21 * H + 10 * M), 3);
    // Deploy kind, served users, finished in the window: P1 P2 P3 P4. P3 rolled back (and an
    // incident names it); P4 was followed by the rollback P5.
    const fail = r?.changeFailRate;
    expect(fail?.deploymentIds).toEqual(ids('P1', 'P2', 'P3', 'P4'));
    expect(fail?.rate).toBe(0.5);
    expect(fail?.failures).toEqual([
      {
        deploymentId: deployments.P3,
        reasons: ['rolledBack', 'incident'],
        incidentIds: [expect.any(String)],
      },
      { deploymentId: deployments.P4, reasons: ['followedByRollback'], incidentIds: [] },
    ]);
    // P3: its release start 09:00 to the incident's resolution 09:50 = 50m. P4: its finish
    // 03-05 09:10 to P5's finish 03-06 10:05 = 24h 55m. Median of two: their mean.
    const recovery = r?.recoveryTime;
    expect(recovery?.recovered.map((x) => [x.deploymentId, x.durationMs])).toEqual([
      [deployments.P3, 50 * M],
      [deployments.P4, 24 * H + 55 * M],
    ]);
    expect(recovery?.medianMs).toBe((50 * M + 24 * H + 55 * M) / 2);
    expect(recovery?.open).toEqual([]);
    // Served users and finished in the window: P1–P5; unplanned P4 (hotfix) and P5 (rollback).
    expect(r?.reworkRate).toMatchObject({
      count: 5,
      rate: 0.4,
      byReason: { rollback: 1, hotfix: 1, incident: 0 },
    });
  });

  it('shows a failure not yet recovered as open, never as zero', async () => {
    // An incident blamed on P4, still open: P4's recovery ends only when it is resolved.
    at('03-06T09:00:00Z');
    await incidents.open(
      { service: 'shop', environment: 'production', title: 'slow pages', deployment: deployments.P4 ?? '' },
      ada,
    );
    const recovery = (await metrics.dora({ service: 'shop', window })).services[0]?.recoveryTime;
    expect(recovery?.recovered.map((x) => x.deploymentId)).toEqual([deployments.P3]);
    // Open since P4 finished (03-05 09:10) to the window's end (03-08 00:00): 2d 14h 50m.
    expect(recovery?.open).toEqual([
      expect.objectContaining({ deploymentId: deployments.P4, openForMs: 62 * H + 50 * M }),
    ]);
    expect(recovery?.medianMs).toBe(50 * M);
  });

  it('answers every service with the environment, and names an unknown one', async () => {
    await catalog.ensureService('blog');
    await catalog.ensureEnvironment('blog', 'production', 'persistent');
    const all = await metrics.dora({ window });
    expect(all.services.map((s) => s.scope.service)).toEqual(['blog', 'shop']);
    expect(all.services[0]?.deploymentFrequency.deployments).toBe(0);
    await expect(metrics.dora({ service: 'nope', window })).rejects.toMatchObject({
      code: 'FLOWLINE_NOT_FOUND',
      message: 'No service is named nope.',
    });
    await expect(metrics.dora({ service: 'blog', environment: 'staging', window })).rejects.toMatchObject({
      code: 'FLOWLINE_NOT_FOUND',
      message: 'Service blog has no environment named staging.',
    });
  });

  it('reads windows and offsets as typed, refusing a reversed one', () => {
    const now = new Date('2026-03-08T00:00:00Z');
    expect(metricsQuery({ since: '7d', utcOffset: '-05:30' }, now)).toMatchObject({
      environment: 'production',
      window,
      utcOffsetMinutes: -330,
    });
    expect(() => metricsQuery({ from: '2026-03-08', to: '2026-03-01' }, now)).toThrow(
      expect.objectContaining({ code: 'FLOWLINE_USAGE', location: { path: '--from' } }),
    );
    expect(() => metricsQuery({ utcOffset: '+25:00' }, now)).toThrow(
      expect.objectContaining({ code: 'FLOWLINE_USAGE', location: { path: '--utc-offset' } }),
    );
  });
});

describe('the value stream from the store', () => {
  it('times each stage of a change from its run, staging and production records', async () => {
    const scope = {
      serviceId: (await catalog.getService('shop')).id,
      service: 'shop',
      environmentId: (await catalog.findEnvironment('shop', 'production'))?.id ?? '',
      environment: 'production',
    };
    const records = await readScopeRecords(t.store.db, scope, window);
    const { changes } = await readChanges(t.store.db, scope, window, records);
    expect(changes.find((c) => c.sha === sha('c'))).toEqual({
      sha: sha('c'),
      deploymentId: deployments.P2,
      committedAt: '2026-03-02T09:30:00+02:00',
      pipelineStartedAt: '2026-03-02T10:00:00.000Z',
      buildFinishedAt: '2026-03-02T10:05:00.000Z',
      testsFinishedAt: '2026-03-02T10:12:00.000Z',
      stagingStartedAt: '2026-03-02T11:00:00.000Z',
      productionStartedAt: '2026-03-03T10:00:00.000Z',
      productionFinishedAt: '2026-03-03T10:30:00.000Z',
    });
  });

  it('adds batch sizes and work in progress', async () => {
    const [r] = (await metrics.flow({ service: 'shop', window })).services;
    // Successful deployments finished in the window: P1 (a), P2 (b, c), P4 (d, e), P5 (none).
    // Commits 0 1 2 2: median 1.5. Lines (added + 1 deleted): P1 11, P2 31 + 21 = 52, P4 41 + 51 = 92, P5 0.
    expect(r?.batchSizes).toMatchObject({
      count: 4,
      commits: { median: 1.5 },
      linesChanged: { median: (11 + 52) / 2 },
    });
    // f was committed 03-07 20:00 and reached production only after the window.
    expect(r?.workInProgress).toEqual({ count: 1, shas: [sha('f')] });
    // c's stages: waiting 2h30m, build 5m, tests 7m, waiting for promotion 48m, staging 23h, release 30m.
    expect(r?.stages.count).toBe(5);
    const lastDay = r?.cumulativeFlow.at(-1);
    expect(lastDay).toEqual({
      day: '2026-03-07',
      counts: { committed: 0, building: 0, testing: 0, tested: 0, staging: 0, releasing: 1, production: 5 },
    });
  });
});

describe('docs/metrics.md', () => {
  it('shows what `flowline metrics` prints for this week', async () => {
    const doc = await readFile(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    const example = /\$ flowline metrics --service shop --since 7d\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const now = new Date('2026-03-08T00:00:00Z');
    const [report] = (await metrics.dora(metricsQuery({ service: 'shop', since: '7d' }, now))).services;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing the terminal's colours
    const printed = doraText(report as NonNullable<typeof report>).replace(/\x1b\[[0-9;]*m/g, '');
    const lines = example.split('\n').filter((line) => line !== '' && !line.includes('…'));
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(printed.split('\n')).toContain(line);
  });
});
