import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evaluate,
  evaluateCondition,
  FUNCTIONS,
  type FunctionName,
  formatExpression,
  type Node,
  parseExpression,
  type Scope,
} from './index.js';

function run(text: string, scope: Scope = { result: null }) {
  const parsed = parseExpression(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return evaluate(parsed.expr, scope);
}

function value(text: string, scope?: Scope): unknown {
  const out = run(text, scope);
  if (!out.ok) throw new Error(out.error.message);
  return out.value;
}

function failure(text: string, scope?: Scope): string {
  const out = run(text, scope);
  if (out.ok) throw new Error(`expected \`${text}\` to fail, got ${JSON.stringify(out.value)}`);
  return `${out.error.message} (column ${out.error.column})`;
}

describe('evaluating conditions', () => {
  it('compares the measurement with thresholds and the baseline', () => {
    expect(value('result < 0.01', { result: 0.004 })).toBe(true);
    expect(value('result < 0.01', { result: 0.083 })).toBe(false);
    expect(value('result <= baseline * 1.2', { result: 110, baseline: 100 })).toBe(true);
    expect(value('result - baseline < 0.005', { result: 0.011, baseline: 0.001 })).toBe(false);
    expect(value('7 % 4 + -1')).toBe(2);
  });

  it('reads provider data: lists, fields, len', () => {
    const result = { data: [{ p99: 0.4 }, { p99: 0.7 }], status: 'ok' };
    expect(value('result.data[1].p99 > 0.5 and result.status == "ok"', { result })).toBe(true);
    expect(value('len(result.data) == 2 && len(result.status) == 2 && len(result) == 2', { result })).toBe(
      true,
    );
    expect(value('max(result) < 1 && min(result) > 0 && max(3, 1, 2) == 3', { result: [0.2, 0.9] })).toBe(
      true,
    );
    expect(value('result["odd key"]', { result: { 'odd key': 5 } })).toBe(5);
  });

  it('gives null for missing fields and indexes, which default() replaces', () => {
    expect(value('result.missing', { result: {} })).toBe(null);
    expect(value('result[5]', { result: [1] })).toBe(null);
    expect(value('result.a.b.c', { result: {} })).toBe(null);
    expect(value('default(result.p99, 0)', { result: {} })).toBe(0);
    expect(value('default(result, 0)', { result: Number.NaN })).toBe(0);
    expect(value('default(result.x, 0)', { result: 5 })).toBe(0);
    expect(value('default(result, 0)', { result: 0.5 })).toBe(0.5);
    expect(value('baseline == null', { result: 1 })).toBe(true);
  });

  it('never reads inherited properties', () => {
    expect(value('result.constructor', { result: {} })).toBe(null);
    expect(value('result["__proto__"]', { result: {} })).toBe(null);
  });

  it('follows IEEE arithmetic: NaN compares false, division by zero is infinite', () => {
    expect(value('result < 1 || result >= 1', { result: Number.NaN })).toBe(false);
    expect(value('isNaN(result)', { result: Number.NaN })).toBe(true);
    expect(value('isNaN("x")')).toBe(false);
    expect(value('result / 0 > 1000', { result: 1 })).toBe(true);
  });

  it('short-circuits `and` and `or`', () => {
    expect(value('result != null && result.x > 1', { result: null })).toBe(false);
    expect(value('result == null || result.x > 1', { result: null })).toBe(true);
  });

  it('compares values deeply with ==, never across types', () => {
    expect(value('result == baseline', { result: [1, { a: 'x' }], baseline: [1, { a: 'x' }] })).toBe(true);
    expect(value('result == baseline', { result: [1, { a: 'x' }], baseline: [1, { a: 'y' }] })).toBe(false);
    expect(value('result == "1"', { result: 1 })).toBe(false);
    expect(value('result != 0', { result: null })).toBe(true);
  });

  it('reports type errors with the column of the operator', () => {
    expect(failure('result < 0.01', { result: 'high' })).toBe(
      '`<` compares two numbers or two strings, got a string and a number (column 1)',
    );
    expect(failure('result.p99 < 1', { result: {} })).toBe(
      '`<` compares two numbers or two strings, got null and a number (column 1)',
    );
    expect(failure('1 + result.x', { result: 3 })).toBe('cannot read field `x` of a number (column 5)');
    expect(failure('len(result.length)', { result: [] })).toBe(
      'cannot read field `length` of a list; use `len(…)` (column 5)',
    );
    expect(failure('result && true', { result: 1 })).toBe(
      '`and` needs true or false, got a number (column 1)',
    );
    expect(failure('not result', { result: 'x' })).toBe('`not` needs true or false, got a string (column 1)');
    expect(failure('result[0.5]', { result: [1] })).toBe(
      'a list is indexed by a whole number, got a number 0.5 (column 1)',
    );
    expect(failure('max(result)', { result: [] })).toBe('`max` of an empty list (column 1)');
    expect(failure('abs(result)', { result: null })).toBe('`abs` needs a number, got null (column 1)');
  });

  it('requires a condition to give true or false', () => {
    const parsed = parseExpression('result * 2');
    if (!parsed.ok) throw new Error('parse');
    expect(evaluateCondition(parsed.expr, { result: 1 })).toEqual({
      ok: false,
      error: { message: 'the condition gave a number, not true or false', column: 1 },
    });
  });

  it('stops at its step budget, also on cyclic input', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(failure('result == result', { result: cyclic })).toMatch(/too expensive|nested too deeply/);
    expect(failure('max(result) > 0', { result: Array.from({ length: 20_000 }, () => 1) })).toMatch(
      /too expensive to evaluate \(more than 10000 steps\)/,
    );
    expect(
      failure('default(max(result), 0) > 0', { result: Array.from({ length: 20_000 }, () => 1) }),
    ).toMatch(/too expensive/);
  });

  it('turns a throwing getter into an error', () => {
    const result = Object.defineProperty({}, 'x', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(failure('result.x > 1', { result })).toBe('the condition could not be evaluated: boom (column 1)');
  });
});

// --- properties ---------------------------------------------------------------------------------

const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.double(),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

const fieldName = fc.constantFrom('a', 'b', 'p99', 'value', 'and', 'not', 'result', 'x_1');
const binaryOps = fc.constantFrom(
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '<=',
  '>',
  '>=',
  '==',
  '!=',
  '&&',
  '||' as const,
);

/** Trees the parser could produce: positions are irrelevant to the properties, so 0. */
const tree: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .oneof(
        fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
      )
      .map((v): Node => ({ kind: 'literal', value: v, start: 0, end: 0 })),
    fc
      .constantFrom('result', 'baseline' as const)
      .map((name): Node => ({ kind: 'name', name, start: 0, end: 0 })),
    fc
      .tuple(fc.constantFrom('-', '!' as const), tie('node'))
      .map(([op, operand]): Node => ({ kind: 'unary', op, operand, start: 0, end: 0 })),
    fc
      .tuple(binaryOps, tie('node'), tie('node'))
      .map(([op, left, right]): Node => ({ kind: 'binary', op, left, right, start: 0, end: 0 })),
    fc
      .tuple(tie('node'), fieldName)
      .map(([object, property]): Node => ({ kind: 'member', object, property, start: 0, end: 0 })),
    fc
      .tuple(tie('node'), tie('node'))
      .map(([object, index]): Node => ({ kind: 'index', object, index, start: 0, end: 0 })),
    fc
      .tuple(
        fc.constantFrom(...(Object.keys(FUNCTIONS) as FunctionName[])),
        fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
      )
      .map(([fn, args]): Node => {
        const { min, max } = FUNCTIONS[fn];
        const fitted = args.slice(0, max ?? args.length);
        while (fitted.length < min) fitted.push({ kind: 'literal', value: 1, start: 0, end: 0 });
        return { kind: 'call', fn, args: fitted, start: 0, end: 0 };
      }),
  ),
})).node;

/** A tree without positions, to compare a re-parsed tree with the generated one. */
function shape(node: Node): unknown {
  return JSON.parse(JSON.stringify(node, (key, v) => (key === 'start' || key === 'end' ? undefined : v)));
}

describe('properties', () => {
  it('printing a tree and parsing it gives the same tree', () => {
    fc.assert(
      fc.property(tree, (node) => {
        const printed = formatExpression(node);
        const parsed = parseExpression(printed);
        if (!parsed.ok && /nested more than|longer than/.test(parsed.error.message)) return;
        expect(parsed.ok ? shape(parsed.expr.ast) : parsed.error.message).toEqual(shape(node));
      }),
      { numRuns: 2000 },
    );
  });

  it('the evaluator never throws, whatever the tree and the inputs', () => {
    fc.assert(
      fc.property(tree, json, json, (node, result, baseline) => {
        const out = evaluate(node, { result, baseline }, { maxSteps: 500 });
        expect(typeof out.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('the parser never throws on arbitrary text, and errors point inside it', () => {
    const alphabet = fc.constantFrom(
      ...'result baseline 0123456789.eE+-*/%<>=!&|()[],"\'\\ andornot abs min max len default isNaN _x\n'.split(
        '',
      ),
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 60 })), (text) => {
        const out = parseExpression(text);
        if (!out.ok) {
          expect(out.error.column).toBeGreaterThanOrEqual(1);
          expect(out.error.column).toBeLessThanOrEqual(text.length + 1);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
