/**
 * Character sets for the RE2 translation (regex.ts): RE2's ASCII classes, its simple case folding
 * for ASCII, and sets of code points written as JavaScript (non-Unicode mode) patterns.
 */

export type Range = readonly [number, number];

export const MAX_CODE_POINT = 0x10ffff;
export const SURROGATES: Range = [0xd800, 0xdfff];
const ASTRAL_PAIR = '[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]';
const LONG_S = 0x17f;
const KELVIN = 0x212a;

export const DIGIT: Range[] = [[0x30, 0x39]];
export const WORD: Range[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
// RE2's \s is [\t\n\f\r ] (no \v, no Unicode spaces).
export const SPACE: Range[] = [
  [0x09, 0x0a],
  [0x0c, 0x0d],
  [0x20, 0x20],
];
export const POSIX: Record<string, Range[]> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: DIGIT,
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: WORD,
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

/** A construct that has no exact translation; `never`: RE2 refuses it, so Unleash never matches. */
export class Refused extends Error {
  constructor(
    message: string,
    readonly never = false,
  ) {
    super(message);
  }
}

export function foldAscii(ranges: readonly Range[]): Range[] {
  const out: Range[] = [...ranges];
  const has = (c: number) => ranges.some(([lo, hi]) => lo <= c && c <= hi);
  for (let c = 0x41; c <= 0x5a; c++) {
    if (has(c) || has(c + 32)) out.push([c, c], [c + 32, c + 32]);
  }
  if (has(0x53) || has(0x73)) out.push([LONG_S, LONG_S]);
  if (has(0x4b) || has(0x6b)) out.push([KELVIN, KELVIN]);
  return normalize(out);
}

export function normalize(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out.at(-1);
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function complement(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalize(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

/** A set of code points as a JavaScript (non-Unicode mode) pattern matching one of them. */
export function emit(ranges: readonly Range[], units = false): string {
  if (units) {
    const set = normalize(ranges.map(([lo, hi]) => [lo, Math.min(hi, 0xffff)] as const));
    const positive = `[${classBody(set)}]`;
    const negative = `[^${classBody(
      complement(set)
        .filter(([lo]) => lo <= 0xffff)
        .map(([lo, hi]) => [lo, Math.min(hi, 0xffff)] as const),
    )}]`;
    return negative === '[^]' ? '[\\s\\S]' : negative.length < positive.length ? negative : positive;
  }
  let astral = false;
  const bmp: Range[] = [];
  for (const [lo, hi] of ranges) {
    if (hi > 0xffff) {
      if (lo <= 0x10000 && hi === MAX_CODE_POINT) astral = true;
      else throw new Refused('characters outside the Basic Multilingual Plane in a class');
    }
    // Surrogates are left out: they only make up astral characters, matched as a pair below.
    if (lo < SURROGATES[0]) bmp.push([lo, Math.min(hi, SURROGATES[0] - 1)]);
    if (hi > SURROGATES[1] && lo <= 0xffff) bmp.push([Math.max(lo, SURROGATES[1] + 1), Math.min(hi, 0xffff)]);
  }
  // The same set written as what it excludes (surrogates included) is often far shorter: `.`
  // becomes `[^\n\uD800-\uDFFF]`.
  const outside = complement([...bmp, SURROGATES]).filter(([lo]) => lo <= 0xffff);
  const excluded = normalize([...outside.map(([lo, hi]) => [lo, Math.min(hi, 0xffff)] as const), SURROGATES]);
  const positive = bmp.length === 0 ? '' : `[${classBody(bmp)}]`;
  const negative = `[^${classBody(excluded)}]`;
  const single = positive === '' ? '' : negative.length < positive.length ? negative : positive;
  if (!astral) return single === '' ? '[^\\s\\S]' : single;
  return single === '' ? `(?:${ASTRAL_PAIR})` : `(?:${ASTRAL_PAIR}|${single})`;
}

function classBody(ranges: readonly Range[]): string {
  return ranges.map(([a, b]) => (a === b ? escapeUnit(a) : `${escapeUnit(a)}-${escapeUnit(b)}`)).join('');
}

export function escapeUnit(code: number): string {
  if (code > 0xffff) {
    const high = Math.floor((code - 0x10000) / 0x400) + 0xd800;
    const low = ((code - 0x10000) % 0x400) + 0xdc00;
    return `${escapeUnit(high)}${escapeUnit(low)}`;
  }
  const ch = String.fromCharCode(code);
  if (/^[A-Za-z0-9_]$/.test(ch)) return ch;
  if (code >= 0x20 && code < 0x7f) return `\\${ch}`;
  return `\\u${code.toString(16).padStart(4, '0')}`;
}
