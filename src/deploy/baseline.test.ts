import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CanaryStrategy, parseConfig, type Strategy } from '../config/index.js';
import { tempStore } from '../store/testing.js';
import { baselineWeight, canarySplit, wantsFreshBaseline } from './baseline.js';
import type { RevisionRuntime } from './ports.js';
import type { StoredTarget } from './records.js';
import { ReleaseControl } from './release-control.js';
import {
  type AnalyzeCall,
  JUDGED,
  runRelease,
  stageRelease,
  judgeTemplates as templates,
  untilAborted,
  untilStopped,
} from './release-testing.js';
import { runRollout } from './rollout.js';

/**
 * A canary judged statistically runs a fresh baseline of the stable revision beside it, with the
 * canary's share, and stops it however the release ends. A real store, the test runtime (healthy
 * instances per revision, the specs it was asked to start) and router (the last route it got).
 */

describe('the split of a canary with a fresh baseline', () => {
  it('gives the baseline the canary’s share and stable the rest, capped where the two would pass 100%', () => {
    const split = (weight: number) =>
      canarySplit({ stable: 's', canary: 'c', baseline: 's.baseline' }, weight);
    expect(split(20)).toEqual([
      { revision: 's', weight: 60 },
      { revision: 's.baseline', weight: 20 },
      { revision: 'c', weight: 20 },
    ]);
    expect(split(50).map((b) => b.weight)).toEqual([0, 50, 50]);
    expect(split(75).map((b) => b.weight)).toEqual([0, 25, 75]);
    expect(split(100).map((b) => b.weight)).toEqual([0, 0, 100]);
    expect(split(0).map((b) => b.weight)).toEqual([100, 0, 0]);
    expect(split(12.5).map((b) => b.weight)).toEqual([75, 12.5, 12.5]);
  });

  it('always sums to 100 with weights of at most two decimals, and never gives the baseline more than the canary', () => {
    for (let hundredths = 0; hundredths <= 10_000; hundredths++) {
      const weight = hundredths / 100;
      const backends = canarySplit({ stable: 's', canary: 'c', baseline: 'b' }, weight);
      const total = backends.reduce((sum, b) => sum + Math.round(b.weight * 100), 0);
      expect(total).toBe(10_000);
      for (const b of backends)
        expect(Math.abs(b.weight * 100 - Math.round(b.weight * 100))).toBeLessThan(1e-6);
      expect(baselineWeight(weight)).toBeLessThanOrEqual(weight);
      expect(backends[0]?.weight).toBeGreaterThanOrEqual(0);
    }
  });

  it('is the two-way split without a baseline', () => {
    expect(canarySplit({ stable: 's', canary: 'c' }, 20)).toEqual([
      { revision: 's', weight: 80 },
      { revision: 'c', weight: 20 },
    ]);
  });
});

describe('which releases start a fresh baseline', () => {
  const all = templates();
  const canary = (changes: Partial<CanaryStrategy>): { stable: string; strategy: Strategy } => ({
    stable: 's',
    strategy: { ...JUDGED, ...changes },
  });
  it('a canary with a judge in an analysis step or in its background analysis', () => {
    expect(wantsFreshBaseline(canary({}), all)).toBe(true);
    expect(
      wantsFreshBaseline(
        canary({
          steps: [{ kind: 'setWeight', weight: 20 }],
          analysis: { templates: ['judged'], startingStep: 0 },
        }),
        all,
      ),
    ).toBe(true);
  });
  it('not one whose analyses only have thresholds, asks for `baseline: stable`, or has no stable revision', () => {
    expect(wantsFreshBaseline(canary({ steps: [{ kind: 'analysis', templates: ['errors'] }] }), all)).toBe(
      false,
    );
    expect(wantsFreshBaseline(canary({ baseline: 'stable' }), all)).toBe(false);
    expect(wantsFreshBaseline({ stable: undefined, strategy: JUDGED }, all)).toBe(false);
    expect(wantsFreshBaseline({ stable: 's', strategy: { kind: 'allAtOnce' } }, all)).toBe(false);
  });
});

describe('the examples of the docs', () => {
  /** The YAML block of a page that holds `marker`, parsed as a flowline.yaml (a page's blocks may leave out the header). */
  async function example(page: string, marker: string) {
    const text = await readFile(new URL(`../../docs/${page}`, import.meta.url), 'utf8');
    const block = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => m[1] ?? '')
      .find((b) => b.includes(marker));
    if (block === undefined) throw new Error(`docs/${page} no longer shows \`${marker}\``);
    const file = /^version: 1$/m.test(block)
      ? block
      : `version: 1\nservice: shop\nrun: { command: node server.js }\n${block}`;
    const parsed = parseConfig(file, page);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    return parsed.config;
  }

  it('docs/analysis.md: `baseline: stable` keeps the judge on the stable instances', async () => {
    const config = await example('analysis.md', 'baseline: stable');
    const strategy = config.environments.production?.strategy;
    expect(strategy?.kind === 'canary' && strategy.baseline).toBe('stable');
    expect(
      wantsFreshBaseline({ stable: 's', strategy: strategy as Strategy }, config.analysis.templates),
    ).toBe(false);
  });

  it('docs/config.md: the judged production canary runs a fresh baseline', async () => {
    const config = await example('config.md', 'baseline: fresh');
    const strategy = config.environments.production?.strategy as Strategy;
    expect(wantsFreshBaseline({ stable: 's', strategy }, config.analysis.templates)).toBe(true);
    // Without the line, the default is the same.
    const { baseline: _, ...implicit } = strategy as CanaryStrategy;
    expect(wantsFreshBaseline({ stable: 's', strategy: implicit }, config.analysis.templates)).toBe(true);
  });
});

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

describe('a judged canary release', () => {
  it('starts the baseline with the canary, routes it the canary’s share at each step, and stops it at promotion', async () => {
    const shares: StoredTarget['backends'][] = [];
    const run = await runRelease(
      t,
      JUDGED,
      async () => ({ ok: true }),
      (line, { routed }) => {
        if (line.includes(': setWeight')) shares.push(routed());
      },
      { analysisTemplates: templates() },
    );
    expect(run.outcome).toEqual({ ok: true });
    // Both started before any traffic moved; the baseline is the stable spec with the canary's instances.
    expect(run.started.map((s) => [s.revision, s.instances])).toEqual([
      ['canary', 1],
      ['stable.baseline', 1],
    ]);
    expect(shares).toEqual([
      [
        { revision: 'stable', weight: 60 },
        { revision: 'stable.baseline', weight: 20 },
        { revision: 'canary', weight: 20 },
      ],
      [
        { revision: 'stable', weight: 0 },
        { revision: 'stable.baseline', weight: 40 },
        { revision: 'canary', weight: 60 },
      ],
    ]);
    // The judge is told which revision is the fresh baseline.
    expect(run.calls.map((c) => c.rollout.baseline)).toEqual(['stable.baseline']);
    expect(run.routed).toEqual([{ revision: 'canary', weight: 100 }]);
    expect(run.stopped).toEqual(['stable.baseline']);
    expect(run.lines).toContain('starting a fresh baseline of stable for the judge: stable.baseline');
    expect(run.lines).toContain(
      'step 1/3: setWeight 20% → canary (stable stable 60%, fresh baseline stable.baseline 20%)',
    );
    const state = (await run.records.unfinished()).find((d) => d.id === run.rollout.deploymentId);
    expect(state).toBeUndefined(); // done
  });

  it('keeps the two-way split when its analyses only have thresholds', async () => {
    const thresholds: CanaryStrategy = {
      ...JUDGED,
      steps: JUDGED.steps.map((s) => (s.kind === 'analysis' ? { ...s, templates: ['errors'] } : s)),
    };
    const shares: StoredTarget['backends'][] = [];
    const run = await runRelease(
      t,
      thresholds,
      async () => ({ ok: true }),
      (line, { routed }) => {
        if (line.includes(': setWeight')) shares.push(routed());
      },
      { analysisTemplates: templates() },
    );
    expect(run.outcome).toEqual({ ok: true });
    expect(run.started.map((s) => s.revision)).toEqual(['canary']);
    expect(shares[0]).toEqual([
      { revision: 'stable', weight: 80 },
      { revision: 'canary', weight: 20 },
    ]);
    expect(run.calls.map((c) => c.rollout.baseline)).toEqual([undefined]);
  });

  it('keeps the two-way split with `baseline: stable`', async () => {
    const run = await runRelease(
      t,
      { ...JUDGED, baseline: 'stable' },
      async () => ({ ok: true }),
      () => {},
      {
        analysisTemplates: templates(),
      },
    );
    expect(run.started.map((s) => s.revision)).toEqual(['canary']);
  });

  it('stops the baseline with the canary when its analysis fails, traffic all on stable', async () => {
    const run = await runRelease(
      t,
      JUDGED,
      async () => ({ ok: false, reason: 'latency: judged 1 time failed' }),
      () => {},
      { analysisTemplates: templates() },
    );
    expect(run.outcome.ok).toBe(false);
    expect(run.routed).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(run.stopped).toEqual(['canary', 'stable.baseline']);
  });

  it('stops the baseline when a person aborts at a pause', async () => {
    const paused: CanaryStrategy = {
      ...JUDGED,
      steps: [
        { kind: 'setWeight', weight: 20 },
        { kind: 'pause' },
        { kind: 'analysis', templates: ['judged'] },
      ],
    };
    const run = await runRelease(
      t,
      paused,
      async () => ({ ok: true }),
      (line, { control }) => {
        if (line.includes('pause until promoted')) setTimeout(() => control.abort('not today', 'person'), 0);
      },
      { analysisTemplates: templates() },
    );
    expect(run.outcome).toEqual({ ok: false, reason: 'not today' });
    expect(run.routed).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(run.stopped).toEqual(['canary', 'stable.baseline']);
  });

  it('stops the baseline when a step outlives progressDeadline', async () => {
    const pending: (() => void)[] = [];
    const sleep = (ms: number, signal: AbortSignal) =>
      ms === 600_000 ? new Promise<void>((resolve) => pending.push(resolve)) : untilAborted(ms, signal);
    const run = await runRelease(
      t,
      JUDGED,
      (call: AnalyzeCall) => {
        for (const resolve of pending.splice(0)) resolve(); // ten minutes pass while it runs
        return untilStopped(call, { ok: false, reason: 'stopped' });
      },
      () => {},
      { sleep, analysisTemplates: templates() },
    );
    expect(run.outcome.ok).toBe(false);
    expect(run.routed).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(run.stopped).toEqual(['canary', 'stable.baseline']);
  });

  it('gives the share of a baseline with no healthy instance to stable, never routing to it', async () => {
    const shares: StoredTarget['backends'][] = [];
    const run = await runRelease(
      t,
      JUDGED,
      async () => ({ ok: true }),
      (line, { routed, crash }) => {
        if (line.includes(': setWeight')) shares.push(routed());
        if (line.startsWith('step 2/3: analysis passed')) crash('stable.baseline');
      },
      { analysisTemplates: templates() },
    );
    expect(run.outcome).toEqual({ ok: true });
    expect(shares[1]).toEqual([
      { revision: 'stable', weight: 40 },
      { revision: 'canary', weight: 60 },
    ]);
    expect(run.lines).toContain(
      'the fresh baseline stable.baseline has no healthy instance: its share stays on stable',
    );
  });
});

describe('a fresh baseline that does not start', () => {
  it('leaves the release going on, judged against stable, and forgotten by the deployment’s state', async () => {
    const staged = await stageRelease(t, JUDGED, templates());
    const runtime: RevisionRuntime = {
      ...staged.deps.runtime,
      start: async (spec, onProgress) => {
        if (spec.revision === 'stable.baseline') throw new Error('no port left');
        return staged.deps.runtime.start(spec, onProgress);
      },
    };
    const lines: string[] = [];
    const calls: AnalyzeCall[] = [];
    const shares: StoredTarget['backends'][] = [];
    const outcome = await runRollout(
      {
        ...staged.deps,
        runtime,
        urlFor: (host) => `http://${host}/`,
        analyze: async (call) => {
          calls.push(call);
          shares.push(staged.routed());
          return { ok: true };
        },
        sleep: untilAborted,
      },
      staged.rollout,
      new ReleaseControl(() => t.clock.now().getTime()),
      (line) => lines.push(line),
    );
    expect(outcome).toEqual({ ok: true });
    expect(lines).toContain(
      'the fresh baseline did not start (no port left); the judge compares canary with the running stable instead',
    );
    expect(calls.map((c) => c.rollout.baseline)).toEqual([undefined]);
    expect(shares).toEqual([
      [
        { revision: 'stable', weight: 80 },
        { revision: 'canary', weight: 20 },
      ],
    ]);
    const row = await t.store.db
      .selectFrom('deployments')
      .select('state_json')
      .where('id', '=', staged.rollout.deploymentId)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(row.state_json ?? '{}')).not.toHaveProperty('baseline');
  });
});
