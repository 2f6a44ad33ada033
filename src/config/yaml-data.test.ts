import { afterEach, describe, expect, it, vi } from 'vitest';
import { Alias, Document } from 'yaml';
import type { Issue } from '../core/errors.js';
import { parseConfig } from './index.js';
import { MAX_ALIAS_VALUES, MAX_DEPTH } from './limits.js';

/** What building the data from YAML does: aliases, merges, keys, and the limits on them. */

const HEAD = 'version: 1\nservice: shop\n';

function problems(text: string): Issue[] {
  const result = parseConfig(text, 'flowline.yaml');
  if (result.ok) throw new Error('expected the file to be refused');
  return result.errors;
}

const where = (issue: Issue | undefined) =>
  `${issue?.line}:${issue?.column} ${issue?.code} ${issue?.path ?? ''}`;

describe('aliases and merge keys', () => {
  it('repeats an anchored value and merges mappings, keys set in place winning', () => {
    const result = parseConfig(
      `${HEAD}run: { command: x }\nenvironments:\n  staging: &base { instances: 2, autoRollback: false }\n` +
        '  production:\n    instances: 3\n    <<: [*base, { protected: true, instances: 9 }]\n' +
        '    env: { A: &a one, B: *a }\n',
      'flowline.yaml',
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.config.environments.production).toMatchObject({
      instances: 3,
      autoRollback: false,
      protected: true,
      env: { A: 'one', B: 'one' },
    });
  });

  it('points an alias to a later anchor at the alias, with the hint to define it first', () => {
    const [issue] = problems(`${HEAD}run: { command: *start }\nx: &start node\n`);
    expect(issue).toMatchObject({ code: 'yaml_alias', line: 3, column: 17 });
    expect(issue?.hint).toBe('define the anchor (`&name`) before using it (`*name`)');
  });

  it('refuses an alias inside the value its own anchor names, at the alias', () => {
    const [issue] = problems(`${HEAD}x: &loop [a, *loop]\n`);
    expect(issue).toMatchObject({ code: 'yaml_alias', line: 3, column: 14 });
    expect(issue?.message).toBe(
      '`*loop` is inside the value its anchor names: a value cannot contain itself',
    );
  });

  it('refuses an alias bomb at the alias that crosses the limit, with a hint about aliases', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 6; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const issues = problems(`${HEAD}${lines.join('\n')}\n`);
    expect(issues).toHaveLength(1);
    // a1 repeats a0 (11 values) 10 times, a2 repeats a1 (111) 10 times: 1,220 values so far.
    // Each `*a2` in a3 (line 6) adds 1,111: the 8th crosses 10,000, at column 10 + 7 × 5.
    expect(issues[0]).toMatchObject({ code: 'FLOWLINE_CONFIG_TOO_LARGE', line: 6, column: 45 });
    expect(issues[0]?.message).toMatch(`aliases repeat more than ${MAX_ALIAS_VALUES} values in all`);
    expect(issues[0]?.hint).toMatch(/^aliases are for a few shared values/);
  });

  it('refuses aliases that nest values deeper than the limit', () => {
    const lines = ['x:', '  - &a0 [v]'];
    for (let i = 1; i <= MAX_DEPTH; i++) lines.push(`  - &a${i} [*a${i - 1}]`);
    const issues = problems(`${HEAD}${lines.join('\n')}\n`);
    // `a<i>` (line 4 + i) is a list at level 3 holding an alias at level 4 that repeats i levels:
    // the first to reach past the limit is i = MAX_DEPTH - 2, its alias at column 11.
    expect(issues.map(where)).toEqual([`${4 + MAX_DEPTH - 2}:11 FLOWLINE_CONFIG_TOO_LARGE `]);
  });

  it('refuses a merge of something that is not a mapping', () => {
    expect(problems(`${HEAD}l: &l [1]\nrun: { <<: *l, command: x }\n`).map(where)).toEqual([
      '4:12 yaml_merge ',
    ]);
  });
});

describe('keys', () => {
  it('reports a key repeated, even written once as a number and once as text', () => {
    const issues = problems(`${HEAD}env: &e\n  1: a\n  "1": b\n`);
    expect(issues.map(where)).toEqual(['5:3 yaml_duplicate_key ']);
    expect(issues[0]?.message).toBe('duplicate key `1` (first defined at line 4)');
  });

  it('refuses a mapping or a list as a key', () => {
    expect(problems(`${HEAD}? [a, b]\n: x\n`).map(where)).toEqual(['3:3 yaml_collection_key ']);
  });

  it('keeps `__proto__` an ordinary (unknown) key: the data never gets another prototype', () => {
    const [issue] = problems(`${HEAD}run: { command: x, __proto__: { polluted: true } }\n`);
    expect(issue).toMatchObject({ code: 'unknown_key', path: 'run.__proto__' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('the YAML library', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('is never asked to resolve aliases or build the data: both walk the document again per alias', () => {
    const resolve = vi.spyOn(Alias.prototype, 'resolve');
    const toJS = vi.spyOn(Document.prototype, 'toJS');
    const aliases = `${HEAD}run: { command: x }\nenvironments:\n  a: &a { env: &e { A: 1 } }\n  b: { <<: *a, env: *e }\n`;
    expect(parseConfig(aliases, 'flowline.yaml').ok).toBe(true);
    expect(problems(`${HEAD}x: &x [1]\ny: [*x, *missing]\n`).map(where)).toEqual(['4:9 yaml_alias ']);
    expect(resolve).not.toHaveBeenCalled();
    expect(toJS).not.toHaveBeenCalled();
  });
});
