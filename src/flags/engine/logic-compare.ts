import type { LogicNode, LogicState } from './logic-types.js';
import { type Comparison, compareCheck, compareJs, LogicFailure, toNumber } from './logic-values.js';

/**
 * JsonLogic comparisons, twice: as json-logic-engine compiles them (context-dependent
 * expressions: the right operand is checked against the shared `prev`), and as its optimizer
 * computes constants (all operands first, numbers compared as numbers).
 */

/** The compiled comparison: `(prev = a) OP compareCheck(b, prev)`, chained for more operands. */
export function compiledComparison(
  op: Comparison,
  strict: boolean,
  parts: readonly LogicNode[],
  s: LogicState,
): boolean {
  let left = (parts[0] as LogicNode).run(s);
  s.prev = left;
  for (let i = 1; i < parts.length; i++) {
    const right = compareCheck((parts[i] as LogicNode).run(s), s.prev, strict);
    if (parts.length > 2) s.prev = right;
    if (!compareJs(op, left, right)) return false;
    left = right;
  }
  return true;
}

/** json-logic-engine's interpreted comparison (used only for constants). */
export function interpretedComparison(
  op: Comparison,
  strict: boolean,
  parts: readonly LogicNode[],
  s: LogicState,
): boolean {
  const textual = (x: unknown): boolean => typeof x === 'string' || x === null;
  if (parts.length === 2) {
    const a = (parts[0] as LogicNode).run(s);
    const b = (parts[1] as LogicNode).run(s);
    if (strict || (textual(a) && textual(b))) return compareJs(op, a, b);
    if (Number.isNaN(toNumber(a))) fail('NaN');
    if (Number.isNaN(toNumber(b)) && a !== null) fail('NaN');
    return compareJs(op, +(a as number), +(b as number));
  }
  if (parts.length === 3) {
    // The optimizer computes the three operands first, then compares them pairwise.
    const [a, b, c] = parts.map((part) => part.run(s));
    const pair = (x: unknown, y: unknown): boolean => {
      if (strict || (textual(x) && textual(y))) return compareJs(op, x, y);
      if (Number.isNaN(toNumber(x))) fail('NaN');
      if (Number.isNaN(toNumber(y)) && x !== null) fail('NaN');
      return compareJs(op, +(x as number), +(y as number));
    };
    return pair(a, b) && pair(b, c);
  }
  let prev = (parts[0] as LogicNode).run(s);
  for (let i = 1; i < parts.length; i++) {
    const current = (parts[i] as LogicNode).run(s);
    if ((strict || (textual(current) && textual(prev))) && !compareJs(op, prev, current)) return false;
    if (Number.isNaN(toNumber(current)) && prev !== null) fail('NaN');
    if (i === 1 && Number.isNaN(toNumber(prev))) fail('NaN');
    if (!compareJs(op, +(prev as number), +(current as number))) return false;
    prev = current;
  }
  return true;
}

function fail(message: string): never {
  throw new LogicFailure(message);
}
