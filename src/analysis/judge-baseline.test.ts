import { describe, expect, it } from 'vitest';
import { createProviders, createVirtualTime, runAnalysis } from './index.js';
import { createRandom } from './stats/random.js';
import { fakeRouter, LATENCY_JUDGE, signals, template } from './testing.js';

/**
 * A release with a fresh baseline (src/deploy/baseline.ts) names it as `judgeBaselineRevision`:
 * `judge` metrics compare the canary with it, every other provider keeps the stable revision.
 */

const START = new Date('2026-01-01T00:00:00.000Z');

describe('the judge of a release with a fresh baseline', () => {
  it('compares the canary with the fresh baseline, while a threshold on `baseline` reads the stable revision', async () => {
    // The canary and the fresh baseline answer alike; the warm stable instance answers fewer errors.
    const router = fakeRouter({
      signals: (revision) =>
        revision === 'stable' ? signals(1000, 5, {}, 30_000) : signals(1000, 30, {}, 30_000),
    });
    const time = createVirtualTime(START);
    const result = await time.run(
      runAnalysis(
        template(
          'judged',
          { name: 'errors', provider: judge() },
          {
            name: 'vs-stable',
            successCondition: 'result <= baseline * 10',
            provider: { kind: 'router', signal: 'errorRate', window: 30_000 },
          },
        ),
        {
          target: {
            service: 'shop',
            environment: 'production',
            canaryRevision: 'canary',
            baselineRevision: 'stable',
            judgeBaselineRevision: 'stable.baseline',
            canarySince: new Date(START.getTime() - 30_000),
          },
          providers: createProviders({ router }),
          clock: time.clock,
          sleep: time.sleep,
        },
      ),
    );
    expect(result.phase).toBe('Successful');
    // The judge asked for the canary and the fresh baseline (again and again: the same 3% of errors
    // on 1,000 requests is not shown within 0.01, so it waited for more); the threshold, measured
    // once, for the canary and stable.
    const asked = router.calls.map((c) => c.revision);
    expect(new Set(asked)).toEqual(new Set(['canary', 'stable', 'stable.baseline']));
    expect(asked.filter((revision) => revision === 'stable')).toHaveLength(1);
  });

  it('fails the same canary against the warm stable revision when there is no fresh baseline', async () => {
    const router = fakeRouter({
      signals: (revision) =>
        revision === 'stable' ? signals(1000, 5, {}, 30_000) : signals(1000, 30, {}, 30_000),
    });
    const time = createVirtualTime(START);
    const result = await time.run(
      runAnalysis(template('judged', { name: 'errors', provider: judge() }), {
        target: {
          service: 'shop',
          environment: 'production',
          canaryRevision: 'canary',
          baselineRevision: 'stable',
          canarySince: new Date(START.getTime() - 30_000),
        },
        providers: createProviders({ router }),
        clock: time.clock,
        sleep: time.sleep,
      }),
    );
    expect(result.phase).toBe('Failed');
    expect(router.calls.map((c) => c.revision).sort()).toEqual(['canary', 'stable']);
  });
});

describe('the default latency tolerance follows the baseline the judge compares with', () => {
  // A canary 14% slower at 20 ms: beyond 10%, within 15%. The same samples for every run.
  const r = createRandom(11);
  const draw = (median: number) => Array.from({ length: 3200 }, () => r.lognormal(Math.log(median), 0.4));
  const slower = draw(22.8);
  const same = draw(20);
  const run = async (judgeBaselineRevision: string | undefined, tolerance?: number) => {
    const router = fakeRouter({ samples: (revision) => (revision === 'canary' ? slower : same) });
    const time = createVirtualTime(START);
    const result = await time.run(
      runAnalysis(
        template('judged', {
          name: 'latency',
          provider: { ...LATENCY_JUDGE, ...(tolerance === undefined ? {} : { tolerance }), window: 30_000 },
        }),
        {
          target: {
            service: 'shop',
            environment: 'production',
            canaryRevision: 'canary',
            baselineRevision: 'stable',
            judgeBaselineRevision,
            canarySince: new Date(START.getTime() - 30_000),
          },
          providers: createProviders({ router }),
          clock: time.clock,
          sleep: time.sleep,
        },
      ),
    );
    const detail = result.metrics[0]?.measurements.at(-1)?.message ?? '';
    return { phase: result.phase, tolerance: /tolerance (\d+)%/.exec(detail)?.[1] };
  };

  it('is 10% against a fresh baseline (`canary.baseline: fresh`)', async () => {
    expect(await run('stable.baseline')).toEqual({ phase: 'Failed', tolerance: '10' });
  });

  it('is 15% against the warm stable revision (`canary.baseline: stable`, or no fresh baseline running)', async () => {
    expect(await run(undefined)).toEqual({ phase: 'Successful', tolerance: '15' });
  });

  it('gives way to a tolerance the template sets, against either baseline', async () => {
    expect(await run('stable.baseline', 0.15)).toEqual({ phase: 'Successful', tolerance: '15' });
    expect(await run(undefined, 0.1)).toEqual({ phase: 'Failed', tolerance: '10' });
  });
});

function judge() {
  return {
    kind: 'judge',
    signal: 'errorRate',
    test: 'mannWhitney',
    tolerance: 0.15,
    confidence: 0.95,
    direction: 'increase',
    window: 30_000,
  } as const;
}
