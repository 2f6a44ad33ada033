/**
 * Regular expressions from flag rules run inside every app that evaluates flags, so a pattern
 * that backtracks catastrophically would stall them all. Two defences:
 *
 * 1. At write time, {@link regexProblem} rejects what makes JavaScript's backtracking engine go
 *    exponential: backreferences, a repeated group that itself contains a quantifier (`(a+)+`),
 *    and a repeated group with alternatives that can overlap (`(a|ab)*`).
 * 2. At evaluation, only strings up to {@link MAX_REGEX_INPUT} characters are tested (longer ones
 *    do not match), which bounds what polynomial patterns like `a*a*b` can cost.
 */

export const MAX_REGEX_INPUT = 1024;
export const MAX_REGEX_LENGTH = 512;

export interface RegexProblem {
  readonly code: 'invalid_regex' | 'unsafe_regex';
  readonly message: string;
  readonly hint: string;
}

interface Group {
  quantified: boolean;
  alternation: boolean;
  /** The alternatives as literal text, or undefined once one of them is not a plain literal. */
  literals: string[] | undefined;
  current: string;
}

const META = new Set(['.', '[', ']', '(', ')', '{', '}', '*', '+', '?', '|', '^', '$', '\\']);

/** Undefined when the pattern compiles and is safe to run; otherwise why not. */
export function regexProblem(pattern: string, flags = ''): RegexProblem | undefined {
  if (pattern.length > MAX_REGEX_LENGTH) {
    return {
      code: 'unsafe_regex',
      message: `the regular expression is ${pattern.length} characters long, more than ${MAX_REGEX_LENGTH}`,
      hint: 'use a shorter pattern, or `in` / `startsWith` / `endsWith` for lists of values',
    };
  }
  try {
    new RegExp(pattern, flags);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : '';
    return {
      code: 'invalid_regex',
      message: `invalid regular expression: ${reason}`,
      hint: 'fix the pattern (JavaScript syntax); escape special characters like `.` and `(` with `\\`',
    };
  }
  return unsafeConstruct(pattern);
}

function unsafeConstruct(pattern: string): RegexProblem | undefined {
  const stack: Group[] = [newGroup()];
  let i = 0;
  const top = (): Group => stack[stack.length - 1] as Group;
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<')) {
        return unsafe('backreferences are not allowed', 'match the text itself instead of `\\1`');
      }
      literal(top(), /[A-Za-z0-9]/.test(next) ? undefined : next);
      i += 2;
      continue;
    }
    if (ch === '[') {
      i = skipClass(pattern, i);
      literal(top(), undefined);
      continue;
    }
    if (ch === '(') {
      stack.push(newGroup());
      i += pattern[i + 1] === '?' ? lookaroundPrefix(pattern, i) : 1;
      continue;
    }
    if (ch === ')') {
      const group = stack.length > 1 ? (stack.pop() as Group) : newGroup();
      endAlternative(group);
      const quantifier = quantifierAt(pattern, i + 1);
      if (quantifier !== undefined) {
        if (quantifier.repeats && group.quantified) {
          return unsafe(
            'a repeated group contains a quantifier (like `(a+)+`), which can take exponential time',
            'flatten it, e.g. `[a-z.]+` instead of `([a-z]+\\.)+`',
          );
        }
        if (quantifier.repeats && group.alternation && !prefixFree(group.literals)) {
          return unsafe(
            'a repeated group has alternatives that can overlap (like `(a|ab)*`), which can take exponential time',
            'use a character class, or alternatives that are plain words none of which starts another',
          );
        }
        i += 1 + quantifier.length;
        top().quantified = true;
      } else {
        i += 1;
        if (group.quantified) top().quantified = true;
      }
      // An ambiguous alternation stays ambiguous inside an enclosing group.
      if (group.alternation && !prefixFree(group.literals)) top().alternation = true;
      literal(top(), undefined);
      continue;
    }
    if (ch === '|') {
      const group = top();
      endAlternative(group);
      group.alternation = true;
      i += 1;
      continue;
    }
    const quantifier = quantifierAt(pattern, i);
    if (quantifier !== undefined) {
      top().quantified = true;
      literal(top(), undefined);
      i += quantifier.length;
      continue;
    }
    literal(top(), META.has(ch) ? undefined : ch);
    i += 1;
  }
  return undefined;
}

function newGroup(): Group {
  return { quantified: false, alternation: false, literals: [], current: '' };
}

function literal(group: Group, text: string | undefined): void {
  if (text === undefined) group.literals = undefined;
  else group.current += text;
}

function endAlternative(group: Group): void {
  group.literals?.push(group.current);
  group.current = '';
}

function prefixFree(words: readonly string[] | undefined): boolean {
  if (words === undefined) return false;
  return words.every((a, i) => a !== '' && words.every((b, j) => i === j || !b.startsWith(a)));
}

/** Length of `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!` or `(?<name>`. */
function lookaroundPrefix(pattern: string, i: number): number {
  if (pattern[i + 2] === '<' && pattern[i + 3] !== '=' && pattern[i + 3] !== '!') {
    const end = pattern.indexOf('>', i);
    return end < 0 ? 1 : end - i + 1;
  }
  return pattern[i + 2] === '<' ? 4 : 3;
}

function skipClass(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** A quantifier at `i`: its length (lazy `?` included) and whether it repeats more than once. */
function quantifierAt(pattern: string, i: number): { length: number; repeats: boolean } | undefined {
  const ch = pattern[i];
  let length: number;
  let repeats: boolean;
  if (ch === '*' || ch === '+') {
    length = 1;
    repeats = true;
  } else if (ch === '?') {
    length = 1;
    repeats = false;
  } else if (ch === '{') {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i, i + 24));
    if (match === null) return undefined;
    length = match[0].length;
    const max = match[2] === undefined ? Number(match[1]) : match[3] === '' ? Infinity : Number(match[3]);
    repeats = max > 1;
  } else {
    return undefined;
  }
  if (pattern[i + length] === '?') length += 1;
  return { length, repeats };
}

function unsafe(message: string, hint: string): RegexProblem {
  return { code: 'unsafe_regex', message: `unsafe regular expression: ${message}`, hint };
}
