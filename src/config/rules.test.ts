import { describe, expect, it } from 'vitest';
import type { Issue } from '../core/errors.js';
import { parseConfig } from './index.js';

function problems(text: string): Issue[] {
  const result = parseConfig(text, 'flowline.yaml');
  if (result.ok) throw new Error('expected the file to be refused');
  return result.errors;
}

function warnings(text: string): Issue[] {
  return parseConfig(text, 'flowline.yaml').warnings;
}

const where = (issue: Issue | undefined) =>
  `${issue?.line}:${issue?.column} ${issue?.code} ${issue?.path ?? ''}`;
const HEAD = 'version: 1\nservice: shop\n';
const RUN = `${HEAD}run: { command: node server.js }\n`;

describe('stage references', () => {
  it('reports a need naming a stage that does not exist, suggesting the closest', () => {
    const [issue] = problems(
      `${HEAD}stages:\n  unit: { steps: [{ run: t }] }\n  e2e: { needs: [unti], steps: [{ run: t }] }\n`,
    );
    expect(issue).toMatchObject({
      code: 'missing_stage',
      path: 'stages.e2e.needs[0]',
      line: 5,
      column: 18,
      message: 'stage `e2e` needs `unti`, which is not defined',
      hint: 'did you mean `unit`?',
    });
  });

  it('reports a needs cycle once, with the whole cycle in the message', () => {
    const issues = problems(
      `${HEAD}stages:\n  a: { needs: [c], steps: [{ run: t }] }\n  b: { needs: [a], steps: [{ run: t }] }\n  c: { needs: [build, b], steps: [{ run: t }] }\n`,
    );
    expect(issues.map(where)).toEqual(['5:16 needs_cycle stages.b.needs[0]']);
    expect(issues[0]?.message).toBe('stages need each other in a cycle: `a` → `c` → `b` → `a`');
  });

  it('reports a stage that needs itself', () => {
    expect(problems(`${HEAD}stages:\n  a: { needs: [a], steps: [{ run: t }] }\n`)[0]?.message).toBe(
      'stages need each other in a cycle: `a` → `a`',
    );
  });

  it('keeps the name build for the build', () => {
    expect(problems(`${HEAD}stages:\n  build: { steps: [{ run: t }] }\n`).map(where)).toEqual([
      '4:3 reserved_name stages.build',
    ]);
  });
});

describe('environment references', () => {
  it('reports `after` naming a missing environment', () => {
    const [issue] = problems(`${RUN}environments:\n  staging: {}\n  production: { after: stage }\n`);
    expect(issue).toMatchObject({
      code: 'missing_environment',
      line: 6,
      column: 24,
      hint: 'did you mean `staging`?',
    });
  });

  it('reports environments that come after each other in a circle', () => {
    const [issue] = problems(`${RUN}environments:\n  a: { after: b }\n  b: { after: a }\n`);
    expect(issue?.code).toBe('after_cycle');
    expect(issue?.message).toBe('environments come after each other in a cycle: `a` → `b` → `a`');
  });

  it('requires `run` once there are environments', () => {
    expect(problems(`${HEAD}environments:\n  staging: {}\n`).map(where)).toEqual([
      '3:1 missing_run environments',
    ]);
  });

  it('refuses pipeline.deploy (not built yet), and still checks the environments it names', () => {
    expect(
      problems(`${RUN}environments: { staging: {} }\npipeline: { deploy: { trunk: [stagin] } }\n`).map(where),
    ).toEqual([
      '5:13 FLOWLINE_NOT_SUPPORTED pipeline.deploy',
      '5:31 missing_environment pipeline.deploy.trunk[0]',
    ]);
  });

  it('warns that ttl does nothing on a persistent environment', () => {
    expect(warnings(`${RUN}environments: { staging: { ttl: 1h } }\n`).map(where)).toEqual([
      '4:28 ttl_ignored environments.staging.ttl',
    ]);
  });
});

describe('analysis references', () => {
  const template =
    'analysis:\n  templates:\n    error-rate:\n      metrics: [{ name: e, successCondition: result < 0.01, provider: { router: { signal: errorRate } } }]\n';

  it('reports analysis templates that are not defined, wherever they are used', () => {
    const issues = problems(
      `${RUN}environments:\n  staging:\n    strategy: { blueGreen: { prePromotionAnalysis: { templates: [{ templateName: errors }] } } }\n` +
        `  production:\n    strategy:\n      canary:\n        steps: [{ analysis: { templates: [{ templateName: eror-rate }] } }]\n` +
        `        analysis: { templates: [{ templateName: latency }], startingStep: 3 }\n${template}`,
    );
    expect(issues.map(where)).toEqual([
      '6:82 missing_template environments.staging.strategy.blueGreen.prePromotionAnalysis.templates[0].templateName',
      '10:59 missing_template environments.production.strategy.canary.steps[0].analysis.templates[0].templateName',
      '11:49 missing_template environments.production.strategy.canary.analysis.templates[0].templateName',
      '11:75 out_of_range environments.production.strategy.canary.analysis.startingStep',
    ]);
    expect(issues[1]?.hint).toBe('did you mean `error-rate`? (templates live under `analysis.templates`)');
  });

  it('requires a condition, and an interval for repeated measurements', () => {
    const issues = problems(
      `${HEAD}analysis:\n  templates:\n    t:\n      metrics:\n        - name: e\n          count: 5\n          provider: { web: { url: "http://x/metrics" } }\n`,
    );
    expect(issues.map(where)).toEqual([
      '7:11 missing_condition analysis.templates.t.metrics[0]',
      '8:11 missing_interval analysis.templates.t.metrics[0].count',
    ]);
  });

  it('warns about a template no environment uses', () => {
    expect(warnings(`${HEAD}${template}`).map((issue) => issue.code)).toEqual(['unused_template']);
  });
});

describe('flag references and values', () => {
  const base = `${RUN}environments: { production: {} }\nsegments:\n  internal: { rules: [{ attribute: email, op: endsWith, values: ["@acme.com"] }] }\n`;

  it('reports segments, variants and environments that do not exist', () => {
    const issues = problems(
      `${base}flags:\n  f:\n    environments:\n      production:\n        rules: [{ segment: interal, variant: yes }]\n        defaultVariant: onn\n      prod: {}\n`,
    );
    expect(issues.map(where)).toEqual([
      '11:28 missing_segment flags.f.environments.production.rules[0].segment',
      '11:46 missing_variant flags.f.environments.production.rules[0].variant',
      '12:25 missing_variant flags.f.environments.production.defaultVariant',
      '13:7 missing_environment flags.f.environments.prod',
    ]);
    expect(issues.map((issue) => issue.hint)).toEqual([
      'did you mean `internal`?',
      'its variants: `on` and `off`',
      'did you mean `on`?',
      'did you mean `production`?',
    ]);
  });

  it('refuses rollout weights that do not sum to 100 or are finer than 0.01', () => {
    const issues = problems(
      `${base}flags:\n  f:\n    environments:\n      production:\n        rollout: { variants: { on: 10, off: 80 } }\n` +
        `  g:\n    environments:\n      production:\n        rollout: { variants: { on: 10.005, off: 89.995 } }\n`,
    );
    expect(issues.map(where)).toEqual([
      '11:20 weights_sum flags.f.environments.production.rollout.variants',
      '15:36 weight_precision flags.g.environments.production.rollout.variants.on',
      '15:49 weight_precision flags.g.environments.production.rollout.variants.off',
    ]);
    expect(issues[0]?.message).toBe('rollout weights sum to 90, not 100');
  });

  it('refuses variant values that do not match the flag type', () => {
    const issues = problems(
      `${HEAD}flags:\n  limit:\n    type: number\n    variants: { low: 10, high: "100" }\n    defaultVariant: low\n` +
        `  banner:\n    type: string\n    defaultVariant: a\n`,
    );
    expect(issues.map(where)).toEqual([
      '6:32 variant_type flags.limit.variants.high',
      '8:3 missing_key flags.banner.variants',
    ]);
    expect(issues[0]?.message).toBe(
      'variant `high` of the number flag `limit` is the string "100"; expected a number',
    );
  });

  it('checks prerequisites: the flag, its variant, and cycles', () => {
    const issues = problems(
      `${HEAD}flags:\n  a: { prerequisites: [{ flag: b, variant: on }] }\n  b: { prerequisites: [{ flag: a, variant: yes }, { flag: zz, variant: on }] }\n`,
    );
    expect(issues.map(where)).toEqual([
      '5:32 prerequisite_cycle flags.b.prerequisites[0].flag',
      '5:44 missing_variant flags.b.prerequisites[0].variant',
      '5:59 missing_flag flags.b.prerequisites[1].flag',
    ]);
  });

  it('checks rule values against the operator', () => {
    const issues = problems(
      `${base}flags:\n  f:\n    environments:\n      production:\n        rules:\n` +
        '          - { attribute: email, op: matches, values: ["[a-z"], variant: on }\n' +
        '          - { attribute: age, op: gt, values: ["18"], variant: on }\n' +
        '          - { attribute: app, op: semverLt, values: ["2.x"], variant: on }\n' +
        '          - { attribute: signup, op: before, values: [yesterday], variant: on }\n' +
        '          - { attribute: plan, op: equals, values: [a, b], variant: on }\n' +
        '          - { attribute: plan, variant: on }\n' +
        '          - { variant: on }\n',
    );
    expect(issues.map((issue) => issue.code)).toEqual([
      'invalid_regex',
      'invalid_rule_value',
      'invalid_semver',
      'invalid_date',
      'too_many_values',
      'incomplete_condition',
      'empty_rule',
    ]);
    expect(issues[0]?.message).toBe('invalid regular expression: /[a-z/: Unterminated character class');
    expect(issues[1]?.hint).toBe('remove the quotes');
    expect(issues[4]?.hint).toBe('use `op: in` to match any of several values');
    expect(issues[5]?.message).toBe(
      'a condition needs `attribute`, `op` and `values`; `op` and `values` missing',
    );
  });

  it('refuses at validation a pattern the engine would refuse as catastrophic', () => {
    const issues = problems(
      `${base}flags:\n  f:\n    environments:\n      production:\n        rules:\n` +
        '          - { attribute: email, op: matches, values: ["(a+)+$"], variant: on }\n',
    );
    expect(issues.map(where)).toEqual([expect.stringMatching(/^\d+:\d+ unsafe_regex flags\.f\./)]);
  });

  it('refuses rollout and defaultVariant together for the fallthrough', () => {
    const issues = problems(
      `${base}flags:\n  f:\n    environments:\n      production: { defaultVariant: on, rollout: { variants: { on: 50, off: 50 } } }\n`,
    );
    expect(issues.map((issue) => issue.code)).toEqual(['conflicting_keys']);
  });

  it('warns about segments no flag uses', () => {
    expect(warnings(base).map((issue) => issue.code)).toEqual(['unused_segment']);
  });
});

describe('secrets', () => {
  it('reports names listed twice', () => {
    expect(problems(`${HEAD}secrets: [A, B, A]\n`).map(where)).toEqual(['3:17 duplicate_name secrets[2]']);
  });
});

describe('what is not built yet', () => {
  it('refuses `notify` with FLOWLINE_NOT_SUPPORTED at its key, instead of accepting and ignoring it', () => {
    const [issue, ...rest] = problems(
      `${HEAD}notify:\n  channels:\n    team: { slack: { webhookSecret: SLACK_URL } }\n`,
    );
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ code: 'FLOWLINE_NOT_SUPPORTED', path: 'notify', line: 3, column: 1 });
    expect(issue?.message).toMatch(/^`notify` is not supported yet/);
    expect(issue?.hint).toBe('remove the `notify` section; docs/config.md lists what is supported');
  });

  it('refuses the kubernetes driver and its namespace, and accepts local processes', () => {
    const issues = problems(
      `${RUN}environments:\n  staging:\n    runtime: { driver: kubernetes, namespace: shop }\n`,
    );
    expect(issues.map(where)).toEqual([
      '6:24 FLOWLINE_NOT_SUPPORTED environments.staging.runtime.driver',
      '6:47 FLOWLINE_NOT_SUPPORTED environments.staging.runtime.namespace',
    ]);
    expect(issues[0]?.hint).toBe('remove `runtime.driver`, or set it to `process`');
    const result = parseConfig(
      `${RUN}environments:\n  staging:\n    runtime: { driver: process }\n`,
      'flowline.yaml',
    );
    expect(result.ok && result.config.environments.staging?.runtime).toEqual({ driver: 'process' });
  });
});
