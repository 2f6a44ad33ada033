import type { LogicNode, LogicState } from './logic-types.js';
import { member, splitPath } from './logic-values.js';

/** Reading the evaluation context as flagd-core presents it to JsonLogic. */

const EMPTY: Record<string, unknown> = {};

/** flagd spreads the context into a new object: own enumerable properties, then `Object.prototype`. */
export function top(context: Readonly<Record<string, unknown>>, key: string): unknown {
  if (Object.hasOwn(context, key) && Object.prototype.propertyIsEnumerable.call(context, key))
    return context[key];
  return EMPTY[key];
}

/** `missing`: the names whose path is absent (undefined), walking through falsy values as absent. */
export function missing(names: readonly unknown[], s: LogicState): unknown[] {
  const out: unknown[] = [];
  for (const name of names) {
    const pieces = splitPath(String(name));
    let data: unknown;
    let found = true;
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (i === 0) data = piece === '$flagd' ? s.flagd : top(s.context, piece);
      else if (!data) {
        found = false;
        break;
      } else data = member(data, piece);
      if (data === undefined) {
        found = false;
        break;
      }
    }
    if (!found) out.push(name);
  }
  return out;
}

/**
 * `var` as json-logic-engine's interpreter reads it: a plain name or a two- or three-part path
 * through `&&` (a falsy value on the way is the answer), a default only for a missing value.
 */
export function interpretedVar(
  start: unknown,
  rest: readonly string[],
  s: LogicState,
  how: { chained: boolean; unary: boolean; fallback: LogicNode | undefined },
): unknown {
  const notFound = how.fallback === undefined ? null : (how.fallback.run(s) ?? null);
  let value = start;
  if (how.unary) return value === undefined || typeof value === 'function' ? null : value;
  if (how.chained) {
    for (const piece of rest) value = value ? member(value, piece) : value;
    return value === undefined || typeof value === 'function' ? null : value;
  }
  if (value === undefined) return notFound;
  for (const piece of rest) {
    if (value === null || value === undefined) return notFound;
    value = member(value, piece);
    if (value === undefined) return notFound;
  }
  return typeof value === 'function' ? null : value;
}
