/**
 * The value semantics of flagd's JsonLogic (json-logic-engine 5, compiled mode, as
 * `@openfeature/flagd-core` runs it): truthiness, number coercion, the comparison check, paths.
 * Each function mirrors the library's so that an answer never depends on which one evaluated it.
 */

/** Thrown while evaluating; flagd answers ERROR / GENERAL. */
export class LogicFailure extends Error {}

/** json-logic-engine's `truthy`: empty arrays and empty plain objects are false. */
export function truthy(value: unknown): boolean {
  if (!value) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return Object.keys(value).length > 0;
  }
  return true;
}

/** `precoerceNumber`: NaN and objects fail; falsy values pass unchanged. */
export function precoerce(value: unknown): unknown {
  if (Number.isNaN(value)) throw new LogicFailure('NaN');
  if (!value) return value;
  if (typeof value === 'object') throw new LogicFailure('NaN');
  return value;
}

/** `+precoerceNumber(x)`. */
export function toNumber(value: unknown): number {
  return +(precoerce(value) as number);
}

/**
 * `compareCheck(item, prev, strict)`: the right operand of a compiled comparison, checked
 * against the value last assigned to the compiled code's shared `prev` (not always the left
 * operand: a right operand that reads an attribute reassigns it, as the library does).
 */
export function compareCheck(item: unknown, prev: unknown, strict: boolean): unknown {
  if (strict || (isTextOrNull(item) && isTextOrNull(prev))) return item;
  if (Number.isNaN(toNumber(item)) && prev !== null) throw new LogicFailure('NaN');
  if (Number.isNaN(toNumber(prev))) throw new LogicFailure('NaN');
  if (prev === null && !item) return null;
  if (item === null && !prev) return 0;
  return item;
}

function isTextOrNull(value: unknown): boolean {
  return typeof value === 'string' || value === null;
}

export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=' | '!==';

/** JavaScript's own operator, loose where JsonLogic's is. */
export function compareJs(op: Comparison, a: unknown, b: unknown): boolean {
  const x = a as number;
  const y = b as number;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    case '==':
      // biome-ignore lint/suspicious/noDoubleEquals: JsonLogic's `==` is JavaScript's loose equality
      return a == b;
    case '===':
      return a === b;
    case '!=':
      // biome-ignore lint/suspicious/noDoubleEquals: JsonLogic's `!=` is JavaScript's loose inequality
      return a != b;
    default:
      return a !== b;
  }
}

/** json-logic-engine's `splitPath`: dots separate, `\.` is a literal dot, `\\` a backslash. */
export function splitPath(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '\\') {
      const next = text[i + 1];
      if (next === '.' || next === '/') {
        current += next;
        i++;
      } else if (next === '\\') {
        current += '\\';
        i++;
      } else current += '\\';
    } else if (char === '.') {
      parts.push(current);
      current = '';
    } else current += char;
  }
  if (parts.length !== text.length) parts.push(current);
  return parts;
}

/** `value?.[key]` in JavaScript, for any value (strings have `length`, objects their prototype). */
export function member(value: unknown, key: string): unknown {
  if (value === null || value === undefined) return undefined;
  return (value as Record<string, unknown>)[key];
}

/** `String.prototype.substr`, which flagd's `substr` calls (a negative length counts from the end). */
export function substr(text: unknown, from: unknown, length: unknown): string {
  if (typeof text !== 'string') throw new LogicFailure('substr of a value that is not text');
  const call = (start: unknown, count: unknown): string =>
    (text as unknown as { substr(a: unknown, b: unknown): string }).substr.call(text, start, count);
  if ((length as number) < 0) {
    const rest = call(from, undefined);
    return rest.substr(0, rest.length + (length as number));
  }
  return call(from, length);
}

/** `cat` as the interpreter runs it on one value: text as is, a list joined without nulls. */
export function catValues(value: unknown, skipNull: boolean): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) {
    if (value === null || value === undefined) fail('`cat` of null');
    return String(value);
  }
  let text = '';
  for (const item of value) if (!(skipNull && (item === null || item === undefined))) text += String(item);
  return text;
}

/** `max` / `min`: numbers only. */
export function extreme(op: 'max' | 'min', values: unknown[]): number {
  if (values.length === 0 || !values.every((v) => typeof v === 'number')) fail(`\`${op}\` of non-numbers`);
  return op === 'max' ? Math.max(...(values as number[])) : Math.min(...(values as number[]));
}

function fail(message: string): never {
  throw new LogicFailure(message);
}
