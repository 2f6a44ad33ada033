import { describe, expect, it } from 'vitest';
import { createProviders, createVirtualTime, runAnalysis } from './index.js';
import { fakeRouter, signals, template } from './testing.js';

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
    // The judge asked for the canary and the fresh baseline; the threshold for the canary and stable.
    expect(router.calls.map((c) => c.revision).sort()).toEqual([
      'canary',
      'canary',
      'stable',
      'stable.baseline',
    ]);
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
