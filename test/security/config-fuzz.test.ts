import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../src/app/api.js';
import { createFlowline, type Flowline } from '../../src/app/flowline.js';
import { MAX_CONFIG_BYTES, MAX_REPORTED, parseConfig, type WorkMeter } from '../../src/config/index.js';
import { SUGGEST_CELLS } from '../../src/config/suggest.js';
import { CONFIG_SHAPES } from '../../src/config/testing.js';
import { loadSettings } from '../../src/core/settings.js';
import type { Listening } from '../../src/server/index.js';
import { tempDir } from '../e2e/helpers.js';

/**
 * Any flowline.yaml of up to 1 MiB, of any shape, is read or refused at a cost linear in its size.
 * Anyone with a read token can send one (`POST /v1/config/validate`), and a 45 KB file of aliases
 * once held the API for 22 s. The cost is measured without a clock: the parser counts its work
 * (tokens, values built and repeated by aliases, steps to locate problems, problems, suggestion
 * cells; see src/config/limits.ts), and that count must stay within a constant per byte.
 * The times themselves are in bench/config-parse.js.
 */

/**
 * Work a parse may spend per byte of input (the shapes below measure between 0 and 1.5), plus the
 * fixed budget of "did you mean" comparisons shared by the problems reported.
 */
const UNITS_PER_BYTE = 4;

const SIZE = MAX_CONFIG_BYTES;

/** Parses `text` (it must not throw) and checks the outcome and its cost; returns the outcome. */
function parseBounded(text: string) {
  const meter: WorkMeter = { units: 0 };
  const result = parseConfig(text, 'flowline.yaml', { meter });
  if (!result.ok) {
    expect(result.errors.length).toBeGreaterThan(0);
    expect(result.errors.length).toBeLessThanOrEqual(MAX_REPORTED + 1);
    for (const issue of result.errors) expect(issue.line).toBeGreaterThanOrEqual(1);
  }
  expect(result.warnings.length).toBeLessThanOrEqual(MAX_REPORTED + 1);
  expect(meter.units).toBeLessThanOrEqual(UNITS_PER_BYTE * text.length + SUGGEST_CELLS);
  return result;
}

describe('a 1 MiB flowline.yaml of a hostile shape', () => {
  it.each(Object.keys(CONFIG_SHAPES))('%s: read or refused in work linear in its size', (name) => {
    const text = (CONFIG_SHAPES[name] as (bytes: number) => string)(SIZE);
    expect(Buffer.byteLength(text)).toBeGreaterThan(0.95 * SIZE);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(SIZE);
    const result = parseBounded(text);
    if (name === 'plain' || name === 'longString') expect(result.ok).toBe(true);
    else expect(result.ok).toBe(false);
  });

  it('each shape over the limit is refused by its size alone, before any parsing', () => {
    for (const make of Object.values(CONFIG_SHAPES)) {
      const base = make(SIZE);
      const text = `${base}${'#'.repeat(SIZE + 1 - base.length)}`;
      const meter: WorkMeter = { units: 0 };
      const result = parseConfig(text, 'flowline.yaml', { meter });
      expect(result.ok ? [] : result.errors.map((issue) => issue.code)).toEqual([
        'FLOWLINE_CONFIG_TOO_LARGE',
      ]);
      // One unit: the refusal itself. Nothing was lexed or built.
      expect(meter.units).toBe(1);
    }
  });
});

/** Pieces of YAML syntax, anchors and aliases included, to build documents of no particular shape. */
const PIECES = [
  '[',
  ']',
  '{',
  '}',
  ':',
  ': ',
  ',',
  '- ',
  ' ',
  '  ',
  '\n',
  '\t',
  '#',
  '?',
  '|',
  '>',
  '!',
  '!!str ',
  '"',
  "'",
  '\\',
  '&a ',
  '*a',
  '&b ',
  '*b',
  '<<: ',
  'key',
  'x',
  '1',
  'null',
  'true',
  '---\n',
  '...\n',
  'stages',
  'needs',
  'flags',
  'version: 1\n',
  'service: s\n',
  '%YAML 1.2\n',
];

describe('a 1 MiB flowline.yaml of any shape', () => {
  it('is read or refused in work linear in its size', () => {
    const pattern = fc
      .array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 24 })
      .map((p) => p.join(''));
    fc.assert(
      fc.property(pattern, fc.boolean(), (unit, headed) => {
        const head = headed ? 'version: 1\nservice: shop\n' : '';
        const text = head + unit.repeat(Math.floor((SIZE - head.length) / unit.length));
        parseBounded(text);
      }),
      { numRuns: 8 },
    );
  });

  it('nested to any depth, of any breadth, is read or refused in work linear in its size', () => {
    const nest = fc.record({
      open: fc.constantFrom('[', '{a: ', '- ', '{? ', '[&x ', '{<<: '),
      close: fc.constantFrom(']', '}', '', ' ]'),
      depth: fc.integer({ min: 1, max: 200_000 }),
      breadth: fc.integer({ min: 1, max: 50_000 }),
    });
    fc.assert(
      fc.property(nest, ({ open, close, depth, breadth }) => {
        const one = `${open.repeat(depth)}v${close.repeat(depth)}`;
        const count = Math.max(1, Math.min(breadth, Math.floor(SIZE / (one.length + 8))));
        const text = `x:\n${Array.from({ length: count }, () => `  - ${one}`).join('\n')}\n`.slice(0, SIZE);
        parseBounded(text);
      }),
      { numRuns: 8 },
    );
  });
});

describe('POST /v1/config/validate with a read token', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let flowline: Flowline;
  let api: Listening;
  let reader: string;

  beforeAll(async () => {
    dir = await tempDir();
    flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: dir.path }, dir.path));
    api = await startApi(flowline, { port: 0, host: '127.0.0.1' });
    reader = (await flowline.tokens.create({ name: 'viewer', role: 'read' }, flowline.localActor)).secret;
  });

  afterAll(async () => {
    await api?.close();
    await flowline?.close();
    await dir?.dispose();
  });

  async function validate(text: string) {
    const res = await fetch(`${api.url}/v1/config/validate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    return {
      status: res.status,
      body: (await res.json()) as { ok: boolean; errors: Record<string, unknown>[] },
    };
  }

  it('answers the 45 KB file of aliases that froze the API with the alias that crosses the limit', async () => {
    const text = (CONFIG_SHAPES.manyAliases as (bytes: number) => string)(45 * 1024);
    const res = await validate(text);
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(false);
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        code: 'FLOWLINE_CONFIG_TOO_LARGE',
        line: 4,
        column: 40_005,
        hint: expect.stringMatching(/^aliases are for a few shared values/),
      }),
    ]);
  });

  it('answers thousands of located errors with the first 100 and the count of the rest', async () => {
    const res = await validate((CONFIG_SHAPES.manyKeys as (bytes: number) => string)(256 * 1024));
    expect(res.status).toBe(200);
    expect(res.body.errors).toHaveLength(MAX_REPORTED + 1);
    expect(res.body.errors.at(-1)).toMatchObject({
      code: 'more_errors',
      message: expect.stringMatching(/^\d+ more problems not shown/),
    });
  });
});
