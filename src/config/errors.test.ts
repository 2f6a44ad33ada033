import { describe, expect, it } from 'vitest';
import type { Issue } from '../core/errors.js';
import { parseConfig } from './index.js';

/** The problems of a file, as `line:col code path` strings for compact assertions. */
function problems(text: string): Issue[] {
  const result = parseConfig(text, 'flowline.yaml');
  if (result.ok) throw new Error('expected the file to be refused');
  return result.errors;
}

const where = (issue: Issue | undefined) =>
  `${issue?.line}:${issue?.column} ${issue?.code} ${issue?.path ?? ''}`;

describe('malformed YAML', () => {
  it('points an unclosed quote at where the string starts', () => {
    const [issue, ...rest] = problems('version: 1\nservice: "hello\nbuild:\n  command: x\n');
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ code: 'yaml_missing_char', file: 'flowline.yaml', line: 2, column: 10 });
    expect(issue?.message).toBe('this quoted string is never closed');
  });

  it('reports a key indented out of line with its siblings', () => {
    const [issue] = problems('version: 1\nservice: a\nbuild:\n  command: x\n output: dist\n');
    expect(issue).toMatchObject({ code: 'yaml_bad_indent', line: 5, column: 1 });
    expect(issue?.hint).toMatch(/same column/);
  });

  it('refuses tabs used for indentation', () => {
    expect(problems('version: 1\nbuild:\n\tcommand: x\n').map(where)).toEqual(['3:1 yaml_tab_as_indent ']);
  });

  it('reports every duplicate key with the line of its first definition', () => {
    const issues = problems(
      'version: 1\nservice: a\nservice: b\nstages:\n  x: { steps: [{ run: a }] }\n  x: { steps: [{ run: b }] }\n',
    );
    expect(issues.map(where)).toEqual(['3:1 yaml_duplicate_key ', '6:3 yaml_duplicate_key ']);
    expect(issues[0]?.message).toBe('duplicate key `service` (first defined at line 2)');
  });

  it('says which bracket is left open', () => {
    const [issue] = problems('version: 1\nservice: a\nstages:\n  unit:\n    needs: [a, b\n    steps: []\n');
    expect(issue).toMatchObject({
      code: 'yaml_bad_indent',
      line: 6,
      column: 5,
      hint: 'close the `[` opened above with `]`',
    });
  });

  it('points an alias without its anchor at the alias', () => {
    const [issue] = problems('version: 1\nservice: a\nrun: { command: *start }\n');
    expect(issue).toMatchObject({ code: 'yaml_alias', line: 3, column: 17 });
    expect(issue?.message).toBe('`*start` refers to an anchor that is not defined before it');
  });

  it('refuses a file holding several documents', () => {
    expect(problems('version: 1\n---\nservice: a\n')[0]?.code).toBe('yaml_multiple_docs');
  });

  it('says an empty file is empty', () => {
    expect(problems('# nothing yet\n')).toMatchObject([{ code: 'empty_file', line: 1, column: 1 }]);
  });
});

describe('schema problems', () => {
  it('names an unknown key and suggests the closest known one', () => {
    const [issue] = problems('version: 1\nservice: a\nstagse: {}\n');
    expect(issue).toMatchObject({
      code: 'unknown_key',
      message: 'unknown key `stagse`',
      path: 'stagse',
      line: 3,
      column: 1,
      hint: 'did you mean `stages`?',
    });
  });

  it('lists the allowed keys when no known key is close', () => {
    const [issue] = problems('version: 1\nservice: a\nbuild: { zzz: 1 }\n');
    expect(issue?.hint).toBe(
      'allowed keys here: `command`, `inputs`, `env`, `output`, `exclude`, `timeout` and `image`',
    );
  });

  it('says what type was expected and what was found', () => {
    const issues = problems(
      'version: 1\nservice: a\nrun:\n  command: x\n  instances: "3"\n  health: { successThreshold: [1] }\n',
    );
    expect(issues.map(where)).toEqual([
      '5:14 invalid_type run.instances',
      '6:13 invalid_type run.health.successThreshold',
    ]);
    expect(issues[0]?.message).toBe('expected a number, got the string "3"');
    expect(issues[0]?.hint).toBe('remove the quotes around the number');
    expect(issues[1]?.message).toBe('expected a number, got a list');
  });

  it('reports a missing required key at the mapping that lacks it', () => {
    const [issue] = problems('version: 1\nservice: a\nrun:\n  instances: 2\n');
    expect(issue).toMatchObject({ code: 'missing_key', path: 'run.command', line: 3, column: 1 });
    expect(issue?.message).toBe('missing required key `command`');
  });

  it('refuses durations without a unit, or with an unknown one', () => {
    const issues = problems(
      'version: 1\nservice: a\nbuild: { timeout: 30 }\nrun: { command: x, health: { interval: 5 sec } }\n',
    );
    expect(issues.map(where)).toEqual([
      '3:19 invalid_duration build.timeout',
      '4:40 invalid_duration run.health.interval',
    ]);
    expect(issues[0]?.hint).toMatch(/`30s`/);
    expect(issues[1]?.message).toBe('`5 sec` is not a duration');
  });

  it('suggests the closest allowed value of an enumeration', () => {
    const [issue] = problems(
      'version: 1\nservice: a\nanalysis:\n  templates:\n    t:\n      metrics:\n        - { name: e, successCondition: result < 1, provider: { router: { signal: errRate } } }\n',
    );
    expect(issue).toMatchObject({
      code: 'invalid_value',
      line: 7,
      column: 82,
      hint: 'did you mean `errorRate`?',
    });
  });

  it('refuses a version it does not know', () => {
    expect(problems('version: 2\nservice: a\n')).toMatchObject([
      {
        code: 'unsupported_version',
        line: 1,
        column: 10,
        message: 'version 2 is not supported; this Flowline reads version 1',
      },
    ]);
  });

  it('refuses invalid names for the service and environments', () => {
    const issues = problems('version: 1\nservice: My_Shop\nrun: { command: x }\nenvironments:\n  Prod: {}\n');
    expect(issues.map(where)).toEqual(['2:10 invalid_name service', '5:3 invalid_name environments.Prod']);
  });

  it('requires exactly one action per canary step', () => {
    const issues = problems(
      'version: 1\nservice: a\nrun: { command: x }\nenvironments:\n  production:\n    strategy:\n      canary:\n        steps:\n          - { setWeight: 10, pause: {} }\n          - {}\n          - { setWieght: 5 }\n',
    );
    expect(issues.map(where)).toEqual([
      '9:13 conflicting_keys environments.production.strategy.canary.steps[0]',
      '10:13 missing_one_of environments.production.strategy.canary.steps[1]',
      // The typo alone explains the step without an action: one problem, not two.
      '11:15 unknown_key environments.production.strategy.canary.steps[2].setWieght',
    ]);
  });

  it('reports every problem of a file at once, in file order, each at its line and column', () => {
    const text = [
      'version: 1', // 1
      'service: shop', // 2
      'stages:', // 3
      '  unit:', // 4
      '    needs: [intgration]', // 5
      '    steps:', // 6
      '      - run: npm test', // 7
      '        timeout: 5 minutes', // 8
      'run:', // 9
      '  command: node server.js', // 10
      '  instances: 0', // 11
      'environments:', // 12
      '  production:', // 13
      '    after: stagign', // 14
      '    stratgy: { canary: { steps: [{ setWeight: 10 }] } }', // 15
    ].join('\n');
    const issues = problems(text);
    expect(issues.map(where)).toEqual([
      '5:13 missing_stage stages.unit.needs[0]',
      '8:18 invalid_duration stages.unit.steps[0].timeout',
      '11:14 out_of_range run.instances',
      '14:12 missing_environment environments.production.after',
      '15:5 unknown_key environments.production.stratgy',
    ]);
    expect(issues.every((issue) => issue.file === 'flowline.yaml' && issue.hint !== undefined)).toBe(true);
  });
});
