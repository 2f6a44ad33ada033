import { describe, expect, it } from 'vitest';
import { type Deliverable, parseConfig } from '../config/index.js';
import { computeDora } from '../metrics/index.js';
import { commit, deployment } from '../metrics/testing.js';
import { type AssessInput, assess, type MeasuredRun } from './assess.js';
import type { Signoff } from './types.js';

const H = 3_600_000;

function plan(deliverables: string): Deliverable[] {
  const result = parseConfig(
    `version: 1\nservice: shop\nstages:\n  unit: { steps: [{ run: t }] }\nquality:\n  deliverables:\n${deliverables}`,
    'flowline.yaml',
  );
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return [...result.config.quality.deliverables];
}

const run = {
  id: 'run_1',
  startedAt: '2026-11-20T10:00:00.000Z',
  branch: 'main',
  commitSha: 'c3',
  artifactId: 'sha256:ab',
};
const measuredRun = (deliverable: string, fields: Partial<MeasuredRun['measurement']>): MeasuredRun => ({
  run,
  measurement: {
    runId: run.id,
    measuredAt: run.startedAt,
    deliverable,
    method: 'coverage',
    stage: 'unit',
    values: null,
    error: null,
    file: 'coverage/lcov.info',
    sha256: 'f'.repeat(64),
    ...fields,
  },
});

const empty: AssessInput = {
  period: '2026-11',
  measured: new Map(),
  dora: new Map(),
  deployments: new Map(),
  signoffs: new Map(),
};
const COVERAGE =
  '    - { id: cov, name: Coverage, standard: Tested, method: coverage, stage: unit, report: coverage/lcov.info, aql: [lines >= 80%, branches >= 50%] }\n';

describe('assessing a deliverable', () => {
  it('passes only when every condition was measured and met', () => {
    const input = {
      ...empty,
      measured: new Map([['cov', measuredRun('cov', { values: { lines: 80, branches: 50 } })]]),
    };
    const [a] = assess(plan(COVERAGE), input);
    expect(a).toMatchObject({ verdict: 'pass', reason: null, measured: { lines: 80, branches: 50 } });
    expect(a?.evidence).toMatchObject({
      runId: 'run_1',
      artifactId: 'sha256:ab',
      file: 'coverage/lcov.info',
      sha256: 'f'.repeat(64),
    });
  });

  it('fails when one condition is not met, and has no data when one is not measured', () => {
    const low = {
      ...empty,
      measured: new Map([['cov', measuredRun('cov', { values: { lines: 79.99, branches: 90 } })]]),
    };
    expect(assess(plan(COVERAGE), low)[0]).toMatchObject({ verdict: 'fail' });
    // An lcov file without branch records has no branch figure: not a pass.
    const noBranches = {
      ...empty,
      measured: new Map([['cov', measuredRun('cov', { values: { lines: 95 } })]]),
    };
    expect(assess(plan(COVERAGE), noBranches)[0]).toMatchObject({
      verdict: 'no data',
      reason: '`branches` not measured',
    });
    expect(assess(plan(COVERAGE), empty)[0]).toMatchObject({
      verdict: 'no data',
      reason: 'no trunk run in 2026-11 measured it',
    });
  });

  it('fails a deliverable whose report could not be read, with its coded error', () => {
    const error = {
      code: 'FLOWLINE_QUALITY_REPORT_INVALID' as const,
      message: 'coverage/lcov.info:3 is not a valid lcov report',
      file: 'coverage/lcov.info',
      line: 3,
    };
    const input = { ...empty, measured: new Map([['cov', measuredRun('cov', { error })]]) };
    expect(assess(plan(COVERAGE), input)[0]).toMatchObject({ verdict: 'fail', error, reason: error.message });
  });

  it('judges a manual deliverable by its sign-off for the period', () => {
    const review = plan(
      '    - { id: rev, name: Review, standard: Reviewed, method: manual, signedOffBy: ISSO }\n',
    );
    expect(assess(review, empty)[0]).toMatchObject({
      verdict: 'no data',
      reason: 'not signed off for 2026-11',
    });
    const signoff: Signoff = {
      id: 'qs_1',
      service: 'shop',
      deliverable: 'rev',
      period: '2026-11',
      verdict: 'rejected',
      signedBy: 'Grace',
      note: 'two findings open',
      recordedBy: 'grace',
      recordedAt: '2026-11-30T12:00:00.000Z',
    };
    expect(assess(review, { ...empty, signoffs: new Map([['rev', signoff]]) })[0]).toMatchObject({
      verdict: 'fail',
      reason: 'two findings open',
      evidence: { signoff },
    });
  });

  it('counts deployments to staging that finished in the period', () => {
    const staging = plan(
      '    - { id: stg, name: Staging, standard: Deployed, method: deployment, aql: succeeded >= 1 }\n',
    );
    expect(assess(staging, empty)[0]).toMatchObject({
      verdict: 'fail',
      measured: { succeeded: 0, failed: 0 },
    });
    const one = {
      ...empty,
      deployments: new Map([['staging', { succeeded: ['dep_1'], failed: ['dep_2'] }]]),
    };
    expect(assess(staging, one)[0]).toMatchObject({
      verdict: 'pass',
      evidence: { ids: ['dep_1', 'dep_2'], environment: 'staging' },
    });
  });
});

describe('assessing the DORA keys', () => {
  // Three successful production deployments in November, each shipping one commit:
  // c1 08:00 → d1 done 11:00 (3 h), c2 09:00 → d2 done 10:00 (1 h), c3 05:00 → d3 done 10:00 (5 h).
  // Lead time median 3 h; no failure, so a change fail rate of 0 and no recovery time at all.
  const window = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z') };
  const scope = { service: 'shop', environment: 'production' };
  const dora = computeDora(
    {
      commits: [
        commit('c1', '2026-11-02T08:00:00Z'),
        commit('c2', '2026-11-10T09:00:00Z'),
        commit('c3', '2026-11-20T05:00:00Z'),
      ],
      deployments: [
        deployment('d1', '2026-11-02T10:30:00Z', '2026-11-02T11:00:00Z', { commits: ['c1'] }),
        deployment('d2', '2026-11-10T09:30:00Z', '2026-11-10T10:00:00Z', { commits: ['c2'] }),
        deployment('d3', '2026-11-20T09:30:00Z', '2026-11-20T10:00:00Z', { commits: ['c3'] }),
      ],
      incidents: [],
    },
    scope,
    window,
  );
  const keys = plan(
    '    - { id: fast, name: Lead time, standard: Fast, method: dora, aql: leadTime <= 3h }\n' +
      '    - { id: faster, name: Lead time, standard: Faster, method: dora, aql: leadTime < 3h }\n' +
      '    - { id: stable, name: Fail rate, standard: Stable, method: dora, aql: changeFailRate <= 15% }\n' +
      '    - { id: recover, name: Recovery, standard: Quick, method: dora, aql: recoveryTime <= 1h }\n' +
      '    - { id: often, name: Frequency, standard: Often, method: dora, aql: deploymentsPerDay >= 0.1 }\n',
  );

  it('checks each key against its threshold, and gives no data for a key with nothing to measure', () => {
    const results = assess(keys, { ...empty, dora: new Map([['production', dora]]) });
    expect(results.map((a) => [a.id, a.verdict])).toEqual([
      ['fast', 'pass'],
      ['faster', 'fail'],
      ['stable', 'pass'],
      ['recover', 'no data'],
      ['often', 'pass'], // 3 deployments over 30 days: 0.1 a day
    ]);
    expect(results[0]?.measured.leadTime).toBe(3 * H);
    expect(results[0]?.evidence.ids).toEqual(['d1', 'd2', 'd3']);
    expect(results[0]?.evidence.environment).toBe('production');
  });

  it('says why there is no data while no metrics service is wired', () => {
    const input = { ...empty, dora: new Map([['production', { unavailable: 'metrics service not wired' }]]) };
    expect(assess(keys, input).map((a) => [a.verdict, a.reason])).toEqual(
      keys.map(() => ['no data', 'metrics service not wired']),
    );
  });
});
