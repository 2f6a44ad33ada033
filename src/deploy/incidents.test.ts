import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../audit/index.js';
import type { Strategy } from '../config/index.js';
import { tempStore } from '../store/testing.js';
import type { AnalyzeOutcome } from './deps.js';
import { recover } from './recovery.js';
import { CANARY_STEPS, runRelease, stageRelease } from './release-testing.js';
import { abandon } from './traffic.js';

/**
 * The incidents the controller opens by itself, and how a release's deployment records its end:
 * a release that served users and was rolled back without a person asking opens one incident,
 * linked by record to the deployment, in the transaction that fails it; one that never served
 * opens none. A real store and incidents part, a fake runtime and router (release-testing.ts).
 */

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

const FAILED = { ok: false, reason: 'errors: errorRate 0.2 broke `result < 0.01` 1 time (limit 0)' } as const;
const CANARY = CANARY_STEPS;

describe('a canary whose analysis failed', () => {
  it('is failedAnalysis, and opens one incident from analysis caused by it, not inferred, as the system', async () => {
    const run = await runRelease(t, CANARY, async () => FAILED);
    expect(run.outcome).toEqual(FAILED);
    const id = run.deployment?.id;
    expect(run.deployment).toMatchObject({
      status: 'failed',
      outcome: 'failedAnalysis',
      servedAt: expect.any(String),
      reason: FAILED.reason,
    });
    expect(run.incidents).toHaveLength(1);
    expect(run.incidents[0]).toMatchObject({
      source: 'analysis',
      status: 'open',
      environment: 'production',
      openedBy: 'flowline',
      cause: { kind: 'deployment', id, inferred: false },
      title: `Release analysis failed in production; rolled back: ${FAILED.reason}`,
    });
    const audit = createAuditLog({ store: t.store, clock: t.clock });
    const [entry] = await audit.list({ target: `incident:${run.incidents[0]?.id}` });
    expect(entry).toMatchObject({
      action: 'incident.open',
      actor: { kind: 'user', name: 'flowline' },
      details: { source: 'analysis', automatic: true, deployment: id },
    });
  });

  it('failing in background analysis is failedAnalysis too', async () => {
    const strategy: Strategy = {
      kind: 'canary',
      steps: [{ kind: 'setWeight', weight: 50 }, { kind: 'pause' }],
      analysis: { templates: ['errors'], startingStep: 0 },
      trafficRouting: { sticky: false },
    };
    const run = await runRelease(t, strategy, async () => FAILED);
    expect(run.deployment?.outcome).toBe('failedAnalysis');
    expect(run.incidents.map((i) => i.source)).toEqual(['analysis']);
  });

  it('running its failure path again (a restarted controller) opens no second incident', async () => {
    const run = await runRelease(t, CANARY, async () => FAILED);
    await abandon(run.deps, run.rollout, 'Flowline restarted during the canary (step:1)');
    await abandon(run.deps, run.rollout, FAILED.reason, 'analysis');
    const incidents = await t.store.db.selectFrom('incidents').selectAll().execute();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ source: 'analysis', dedup_key: `deployment:${run.deployment?.id}` });
    // Its analysis failed: a later pass for another reason does not unsay it.
    const row = await t.store.db
      .selectFrom('deployments')
      .select(['failed_analysis', 'status'])
      .where('id', '=', run.rollout.deploymentId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ failed_analysis: 1, status: 'failed' });
  });
});

describe('a release rolled back without its analysis failing', () => {
  it('by a person aborting it: rolledBack, and no incident (people open their own)', async () => {
    const strategy: Strategy = {
      kind: 'canary',
      steps: [{ kind: 'setWeight', weight: 50 }, { kind: 'pause' }],
      trafficRouting: { sticky: false },
    };
    const run = await runRelease(
      t,
      strategy,
      async () => ({ ok: true }),
      (line, { control }) => {
        if (line.startsWith('step 2/2: pause')) control.abort('aborted by alice', 'person');
      },
    );
    expect(run.deployment).toMatchObject({
      status: 'failed',
      outcome: 'rolledBack',
      reason: 'aborted by alice',
    });
    expect(run.incidents).toEqual([]);
  });

  it('by the controller, when the canary crashed after taking traffic: rolledBack, an incident from rollback', async () => {
    const run = await runRelease(
      t,
      CANARY,
      async () => ({ ok: true }),
      (line, { crash }) => {
        if (line === 'step 2/3: analysis passed') crash('canary');
      },
    );
    expect(run.outcome.ok).toBe(false);
    expect(run.deployment).toMatchObject({ status: 'failed', outcome: 'rolledBack' });
    expect(run.routed).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(run.incidents).toHaveLength(1);
    expect(run.incidents[0]).toMatchObject({
      source: 'rollback',
      cause: { kind: 'deployment', id: run.deployment?.id, inferred: false },
    });
  });
});

describe('a blue-green release whose post-promotion analysis failed', () => {
  it('switched users to it, so it is failedAnalysis with an incident from analysis', async () => {
    const strategy: Strategy = {
      kind: 'blueGreen',
      autoPromotionEnabled: true,
      postPromotionAnalysis: { templates: ['errors'] },
      scaleDownDelay: 0,
    };
    const run = await runRelease(t, strategy, async () => FAILED);
    expect(run.deployment).toMatchObject({
      outcome: 'failedAnalysis',
      reason: `post-promotion analysis failed: ${FAILED.reason}`,
    });
    expect(run.routed).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(run.incidents).toMatchObject([
      { source: 'analysis', cause: { id: run.deployment?.id, inferred: false } },
    ]);
  });
});

describe('a release that never served users', () => {
  it('failing its pre-promotion analysis is failed, its analysis recorded, and opens no incident', async () => {
    const strategy: Strategy = {
      kind: 'blueGreen',
      autoPromotionEnabled: true,
      prePromotionAnalysis: { templates: ['errors'] },
      scaleDownDelay: 0,
    };
    const run = await runRelease(t, strategy, async () => FAILED);
    expect(run.deployment).toMatchObject({ status: 'failed', outcome: 'failed', servedAt: null });
    expect(run.incidents).toEqual([]);
    const row = await t.store.db
      .selectFrom('deployments')
      .select('failed_analysis')
      .where('id', '=', run.rollout.deploymentId)
      .executeTakeFirstOrThrow();
    expect(row.failed_analysis).toBe(1);
  });

  it('succeeding records when it began to serve', async () => {
    const run = await runRelease(
      t,
      CANARY,
      async (): Promise<AnalyzeOutcome> => ({ ok: true }),
      (line, { advance }) => {
        if (line.startsWith('starting')) advance(2000);
      },
    );
    expect(run.deployment).toMatchObject({ status: 'succeeded', outcome: 'succeeded' });
    // Set by the first setWeight, after the 2 s start, not by the promotion.
    expect(run.deployment?.servedAt).toBe('2026-01-01T00:00:02.000Z');
    expect(run.incidents).toEqual([]);
  });
});

describe('a canary that served when Flowline restarted, and could not be carried on', () => {
  it('is rolled back by the recovery with one incident, however often the recovery runs', async () => {
    const staged = await stageRelease(t, CANARY);
    const { records, rollout, deps } = staged;
    const d = { id: rollout.deploymentId };
    // What a killed Flowline leaves: the canary at step 2 with half the traffic, both healthy.
    staged.healthy.add('canary');
    await records.setPhase(d.id, 'step:1', { state: { step: 1, weight: 50 } });
    const backends = [
      { revision: 'stable', weight: 50 },
      { revision: 'canary', weight: 50 },
    ];
    await records.saveServingRoute(
      rollout.host,
      rollout,
      { service: 'shop', environment: 'production', backends },
      d.id,
    );
    // No `resume`: every canary found at a step fails safe, as a Flowline that cannot carry it on.
    expect((await recover(deps)).abandoned).toEqual([d.id]);
    expect((await recover(deps)).abandoned).toEqual([]);
    await abandon(deps, rollout, 'again');
    const all = await staged.incidents.list({ status: 'all' });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      source: 'rollback',
      cause: { kind: 'deployment', id: d.id, inferred: false },
      title: expect.stringContaining('Flowline restarted during the canary (step:1)'),
    });
    const row = (await staged.catalog.listDeployments({ service: 'shop' })).find((x) => x.id === d.id);
    expect(row?.outcome).toBe('rolledBack');
  });
});
