import { describe, expect, it } from 'vitest';
import type { Issue } from '../core/errors.js';
import { parseConfig } from './index.js';
import { MAX_CONFIG_BYTES, MAX_DEPTH, MAX_REPORTED, type WorkMeter } from './limits.js';

/** The limits that keep reading a file linear (limits.ts), each at its boundary. */

const HEAD = 'version: 1\nservice: shop\n';

function problems(text: string, meter?: WorkMeter): Issue[] {
  const result = parseConfig(text, 'flowline.yaml', meter === undefined ? {} : { meter });
  if (result.ok) throw new Error('expected the file to be refused');
  return result.errors;
}

const where = (issue: Issue | undefined) =>
  `${issue?.line}:${issue?.column} ${issue?.code} ${issue?.path ?? ''}`;

/** A file of `HEAD` and comment lines, `bytes` long in UTF-8 (`fill` is one or two bytes). */
function fileOf(bytes: number, fill = '#'): string {
  const width = Buffer.byteLength(fill);
  const body = bytes - HEAD.length;
  return `${HEAD}${'#'.repeat(body % width)}${fill.repeat(Math.floor(body / width))}`;
}

describe('the size limit', () => {
  it('reads a file of exactly the limit and refuses one byte more, at 1:1', () => {
    expect(parseConfig(fileOf(MAX_CONFIG_BYTES), 'flowline.yaml').ok).toBe(true);
    const [issue, ...rest] = problems(fileOf(MAX_CONFIG_BYTES + 1));
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ code: 'FLOWLINE_CONFIG_TOO_LARGE', line: 1, column: 1 });
    expect(issue?.message).toBe('the file is 1.00 MiB; the limit is 1 MiB');
  });

  it('counts bytes, not characters', () => {
    const text = fileOf(MAX_CONFIG_BYTES + 2, 'é');
    expect(text.length).toBeLessThan(MAX_CONFIG_BYTES);
    expect(problems(text).map(where)).toEqual(['1:1 FLOWLINE_CONFIG_TOO_LARGE ']);
  });
});

describe('the depth limit', () => {
  const flow = (depth: number) => `${HEAD}x: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;

  it(`reads mappings and lists nested ${MAX_DEPTH} levels deep and refuses one more, where it starts`, () => {
    // The top mapping is level 1, so `x` holds MAX_DEPTH - 1 levels of lists.
    expect(problems(flow(MAX_DEPTH - 1)).map(where)).toEqual(['3:1 unknown_key x']);
    expect(problems(flow(MAX_DEPTH)).map(where)).toEqual([
      `3:${4 + MAX_DEPTH - 1} FLOWLINE_CONFIG_TOO_LARGE `,
    ]);
  });

  it('refuses deep block mappings and nested dashes the same way', () => {
    const block = (depth: number) => Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}a:`).join('\n');
    expect(problems(`${HEAD}${block(MAX_DEPTH)} 1\n`)[0]?.code).toBe('unknown_key');
    expect(problems(`${HEAD}${block(MAX_DEPTH + 1)} 1\n`)[0]?.code).toBe('FLOWLINE_CONFIG_TOO_LARGE');
    const dashes = (depth: number) => `${HEAD}x:\n  ${'- '.repeat(depth)}v\n`;
    expect(problems(dashes(MAX_DEPTH - 1))[0]?.code).toBe('unknown_key');
    expect(problems(dashes(MAX_DEPTH))[0]?.code).toBe('FLOWLINE_CONFIG_TOO_LARGE');
  });

  it('refuses half a million levels without building them', () => {
    const meter = { units: 0 };
    expect(problems(flow(500_000), meter)[0]?.code).toBe('FLOWLINE_CONFIG_TOO_LARGE');
    expect(meter.units).toBeLessThan(10 * MAX_DEPTH);
  });
});

describe('the number of problems reported', () => {
  const unknownKeys = (count: number) =>
    HEAD + Array.from({ length: count }, (_, i) => `key${i}: ${i}`).join('\n');

  it(`reports the first ${MAX_REPORTED} problems and says how many more there are and where`, () => {
    const issues = problems(unknownKeys(150));
    expect(issues).toHaveLength(MAX_REPORTED + 1);
    expect(issues[0]).toMatchObject({ code: 'unknown_key', path: 'key0', line: 3 });
    expect(issues[MAX_REPORTED - 1]).toMatchObject({ path: `key${MAX_REPORTED - 1}` });
    expect(issues[MAX_REPORTED]).toMatchObject({
      code: 'more_errors',
      message: `50 more problems not shown: at most ${MAX_REPORTED} are reported`,
      line: 3 + MAX_REPORTED,
      column: 1,
    });
  });

  it('counts YAML problems past the described ones too', () => {
    const broken = HEAD + Array.from({ length: 1_000 }, (_, i) => `k${i}: [a\n`).join('');
    const issues = problems(broken);
    expect(issues).toHaveLength(MAX_REPORTED + 1);
    const more = issues.at(-1);
    expect(more?.code).toBe('more_errors');
    expect(Number(/^\d+/.exec(more?.message ?? '')?.[0])).toBeGreaterThan(900 - MAX_REPORTED);
  });

  it('cuts warnings the same way', () => {
    const template = (i: number) =>
      `    t${i}: { metrics: [{ name: m, successCondition: result < 1, provider: { router: { signal: errorRate } } }] }`;
    const text = `${HEAD}analysis:\n  templates:\n${Array.from({ length: 120 }, (_, i) => template(i)).join('\n')}\n`;
    const result = parseConfig(text, 'flowline.yaml');
    expect(result.ok).toBe(true);
    expect(result.warnings).toHaveLength(MAX_REPORTED + 1);
    expect(result.warnings.at(-1)).toMatchObject({ code: 'more_warnings', line: 5 + MAX_REPORTED });
  });

  it('locates every problem of a file in work proportional to the file', () => {
    // Locating was a search through the mapping per problem: twice the keys cost four times.
    const meter = (count: number) => {
      const counted = { units: 0 };
      problems(unknownKeys(count), counted);
      return counted.units;
    };
    const small = meter(4_000);
    expect(meter(8_000)).toBeLessThan(2.2 * small);
    expect(small).toBeLessThan(4 * unknownKeys(4_000).length);
  });
});

describe('values quoted in messages', () => {
  it('are cut, so a 100 KB value makes a one-line message', () => {
    const [issue] = problems(`version: 1\nservice: ${'X'.repeat(100_000)}\n`);
    expect(issue?.code).toBe('invalid_name');
    expect(issue?.message).toBe(`\`${'X'.repeat(57)}...\` is not a valid name (a lowercase DNS label)`);
  });
});
