import { describe, expect, it } from 'vitest';
import type { Issue } from '../core/errors.js';
import { parseAql } from './aql.js';
import { parseConfig } from './index.js';

const HEAD =
  'version: 1\nservice: shop\nstages:\n  unit: { steps: [{ run: npm test }] }\nquality:\n  deliverables:\n';

function problems(deliverables: string): Issue[] {
  const result = parseConfig(`${HEAD}${deliverables}`, 'flowline.yaml');
  if (result.ok) throw new Error('expected the file to be refused');
  return result.errors;
}
const where = (issue: Issue | undefined) =>
  `${issue?.line}:${issue?.column} ${issue?.code} ${issue?.path ?? ''}`;

describe('the quality plan in flowline.yaml', () => {
  it('normalizes a deliverable: parsed conditions, the default format and environment', () => {
    const result = parseConfig(
      `${HEAD}    - { id: cov, name: Coverage, standard: Tested, method: coverage, stage: unit, report: coverage/lcov.info, aql: [lines >= 80%, branches > 60] }\n    - { id: cfr, name: Stable, standard: Few failures, method: dora, aql: changeFailRate <= 15% }\n    - { id: sec, name: Security review, standard: Reviewed, method: manual, aql: Accepted by the ISSO, signedOffBy: ISSO }\n`,
      'flowline.yaml',
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const [cov, cfr, sec] = result.config.quality.deliverables;
    expect(cov).toMatchObject({
      method: 'coverage',
      format: 'lcov',
      aqlText: 'lines >= 80% and branches > 60',
      conditions: [
        { metric: 'lines', op: '>=', value: 80 },
        { metric: 'branches', op: '>', value: 60 },
      ],
    });
    expect(cfr).toMatchObject({
      environment: 'production',
      conditions: [{ metric: 'changeFailRate', value: 0.15 }],
    });
    expect(sec).toMatchObject({ conditions: [], aqlText: 'Accepted by the ISSO', signedOffBy: 'ISSO' });
  });

  it('refuses an unknown method at its field, suggesting the closest', () => {
    const [issue] = problems(
      '    - { id: cov, name: C, standard: S, method: coverge, stage: unit, report: c.info, aql: lines >= 1 }\n',
    );
    expect(issue).toMatchObject({
      code: 'invalid_value',
      path: 'quality.deliverables[0].method',
      line: 7,
      column: 48,
      hint: 'did you mean `coverage`?',
    });
  });

  it('refuses an AQL naming a metric its method does not measure, and one that does not parse', () => {
    const issues = problems(
      '    - id: cov\n      name: C\n      standard: S\n      method: coverage\n      stage: unit\n      report: c.info\n      aql: [line >= 80, lines about 80]\n',
    );
    expect(issues.map(where)).toEqual([
      '13:13 unknown_metric quality.deliverables[0].aql[0]',
      '13:25 invalid_aql quality.deliverables[0].aql[1]',
    ]);
  });

  it('refuses a missing report, a stage that does not exist, a field of another method and a repeated id', () => {
    const issues = problems(
      '    - { id: a, name: A, standard: S, method: coverage, stage: unti, aql: lines >= 1, files: [x] }\n    - { id: a, name: B, standard: S, method: documentation, files: [README.md], aql: missing == 0 }\n',
    );
    expect(issues.map(where).sort()).toEqual(
      [
        '7:46 missing_key quality.deliverables[0].method',
        '7:63 missing_stage quality.deliverables[0].stage',
        '7:86 field_not_for_method quality.deliverables[0].files',
        '8:13 duplicate_name quality.deliverables[1].id',
      ].sort(),
    );
    expect(issues.find((i) => i.code === 'missing_stage')?.hint).toBe('did you mean `unit`?');
  });

  it('refuses a report path outside the repository', () => {
    expect(
      problems(
        '    - { id: a, name: A, standard: S, method: vulnerabilities, stage: unit, report: ../audit.json, aql: high == 0 }\n',
      ).map(where),
    ).toEqual(['7:84 invalid_path quality.deliverables[0].report']);
  });

  it('lets lint by exit code name only exitCode', () => {
    expect(
      problems('    - { id: l, name: L, standard: S, method: lint, stage: unit, aql: errors == 0 }\n').map(
        where,
      ),
    ).toEqual(['7:70 unknown_metric quality.deliverables[0].aql']);
  });
});

describe('AQL conditions', () => {
  it('reads each unit as documented', () => {
    expect(parseAql('lines >= 80%', 'coverage')).toMatchObject({ ok: true, condition: { value: 80 } });
    expect(parseAql('changeFailRate < 0.2', 'dora')).toMatchObject({ ok: true, condition: { value: 0.2 } });
    expect(parseAql('leadTime <= 1d', 'dora')).toMatchObject({ ok: true, condition: { value: 86_400_000 } });
    expect(parseAql('high == 0', 'vulnerabilities')).toMatchObject({
      ok: true,
      condition: { op: '==', value: 0 },
    });
  });

  it('refuses values of the wrong unit', () => {
    expect(parseAql('lines >= 120', 'coverage')).toMatchObject({ ok: false, code: 'invalid_aql_value' });
    expect(parseAql('leadTime <= 24', 'dora')).toMatchObject({ ok: false, code: 'invalid_aql_value' });
    expect(parseAql('high == 1.5', 'vulnerabilities')).toMatchObject({
      ok: false,
      code: 'invalid_aql_value',
    });
    expect(parseAql('changeFailRate <= 150%', 'dora')).toMatchObject({
      ok: false,
      code: 'invalid_aql_value',
    });
  });
});
