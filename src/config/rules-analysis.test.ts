import { describe, expect, it } from 'vitest';
import type { Issue } from '../core/errors.js';
import { parseConfig } from './index.js';

const HEAD = 'version: 1\nservice: shop\nanalysis:\n  templates:\n    t:\n      metrics:\n';

function problems(metrics: string): Issue[] {
  const result = parseConfig(`${HEAD}${metrics}`, 'flowline.yaml');
  if (result.ok) throw new Error('expected the file to be refused');
  return result.errors;
}

const where = (issue: Issue | undefined) =>
  `${issue?.line}:${issue?.column} ${issue?.code} ${issue?.message}`;
const PROVIDER = '          provider: { router: { signal: errorRate } }\n';

describe('analysis conditions in flowline.yaml', () => {
  it('accepts conditions that parse', () => {
    const result = parseConfig(
      `${HEAD}        - name: e\n          successCondition: result < 0.01 && (baseline == null || result <= baseline * 2)\n${PROVIDER}`,
      'flowline.yaml',
    );
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('points a syntax error at its character in a plain scalar', () => {
    const issues = problems(`        - name: e\n          successCondition: result < \n${PROVIDER}`);
    expect(issues.map(where)).toEqual([
      '8:37 invalid_expression `successCondition` does not parse: expected a value after `<`',
    ]);
    expect(issues[0]?.path).toBe('analysis.templates.t.metrics[0].successCondition');
  });

  it('counts through quotes and escapes', () => {
    const issues = problems(
      `        - name: e\n          successCondition: "result.s == \\"a\\" && reslt"\n          failureCondition: 'result.s == ''b'' ||'\n${PROVIDER}`,
    );
    expect(issues.map(where)).toEqual([
      '8:51 invalid_expression `successCondition` does not parse: unknown name `reslt`',
      '9:50 invalid_expression `failureCondition` does not parse: expected a value after `||`',
    ]);
    expect(issues[0]?.hint).toBe('did you mean `result`?');
  });

  it('follows folded and block scalars onto later lines', () => {
    const issues = problems(
      `        - name: e\n          successCondition: >-\n            result < 0.01 &&\n            result = 2\n          failureCondition: |\n            result >\n              = 1\n${PROVIDER}`,
    );
    expect(issues.map(where)).toEqual([
      '10:20 invalid_expression `successCondition` does not parse: `=` is not an operator',
      '13:15 invalid_expression `failureCondition` does not parse: `=` is not an operator',
    ]);
  });

  it('checks the JSON path of a web provider against the supported subset', () => {
    const issues = problems(
      `        - name: e\n          successCondition: result == 1\n          provider: { web: { url: "http://x/y", jsonPath: "$.items[?(@.ok)]" } }\n`,
    );
    expect(issues.map(where)).toEqual([
      '9:67 invalid_json_path `jsonPath` is not supported: expected `[<index>]` or `["field"]`',
    ]);
  });
});
