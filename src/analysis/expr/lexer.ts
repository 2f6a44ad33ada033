import type { ExprSyntaxError } from './ast.js';

/** Splits a condition into tokens. Pure and total: bad input gives an error, never an exception. */

export type Token =
  | { readonly type: 'number'; readonly value: number; readonly start: number; readonly end: number }
  | { readonly type: 'string'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly type: 'word'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly type: 'punct'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly type: 'end'; readonly value: ''; readonly start: number; readonly end: number };

const PUNCT = [
  '<=',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  '<',
  '>',
  '!',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
];
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  '"': '"',
  "'": "'",
  n: '\n',
  t: '\t',
  r: '\r',
};
const MISTAKES: Readonly<Record<string, { message: string; hint: string }>> = {
  '=': { message: '`=` is not an operator', hint: 'compare with `==`' },
  '&': { message: '`&` is not an operator', hint: 'write `&&` or `and`' },
  '|': { message: '`|` is not an operator', hint: 'write `||` or `or`' },
};

export function error(message: string, offset: number, hint?: string): ExprSyntaxError {
  return { message, offset, column: offset + 1, ...(hint === undefined ? {} : { hint }) };
}

export function tokenize(
  text: string,
): { ok: true; tokens: Token[] } | { ok: false; error: ExprSyntaxError } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text)?.[0] ?? ch;
      i += match.length;
      if (/[A-Za-z0-9_.]/.test(text[i] ?? '')) {
        const rest = /^[A-Za-z0-9_.+-]*/.exec(text.slice(i))?.[0] ?? '';
        return {
          ok: false,
          error: error(
            `malformed number \`${match}${rest}\``,
            start,
            'write numbers like `42`, `0.5` or `1e-3`',
          ),
        };
      }
      const value = Number(match);
      if (!Number.isFinite(value))
        return { ok: false, error: error(`number \`${match}\` is too large`, start) };
      tokens.push({ type: 'number', value, start, end: i });
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      WORD.lastIndex = i;
      const word = WORD.exec(text)?.[0] ?? ch;
      i += word.length;
      tokens.push({ type: 'word', value: word, start, end: i });
      continue;
    }
    if (ch === '"' || ch === "'") {
      const lexed = lexString(text, i);
      if (!lexed.ok) return lexed;
      tokens.push({ type: 'string', value: lexed.value, start, end: lexed.end });
      i = lexed.end;
      continue;
    }
    const punct = PUNCT.find((p) => text.startsWith(p, i));
    if (punct !== undefined) {
      i += punct.length;
      tokens.push({ type: 'punct', value: punct, start, end: i });
      continue;
    }
    const mistake = MISTAKES[ch];
    if (mistake) return { ok: false, error: error(mistake.message, start, mistake.hint) };
    const shown = ch === '`' ? '`` ` ``' : `\`${ch}\``;
    return { ok: false, error: error(`unexpected character ${shown}`, start) };
  }
  tokens.push({ type: 'end', value: '', start: text.length, end: text.length });
  return { ok: true, tokens };
}

function lexString(
  text: string,
  start: number,
): { ok: true; value: string; end: number } | { ok: false; error: ExprSyntaxError } {
  const quote = text[start];
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (ch === quote) return { ok: true, value, end: i + 1 };
    if (ch === '\\') {
      const next = text[i + 1] ?? '';
      const escaped = ESCAPES[next];
      if (escaped === undefined) {
        return {
          ok: false,
          error: error(
            `unknown escape \`\\${next}\` in a string`,
            i,
            'escapes are `\\\\`, `\\"`, `\\\'`, `\\n`, `\\t`, `\\r`',
          ),
        };
      }
      value += escaped;
      i += 2;
      continue;
    }
    value += ch;
    i += 1;
  }
  return { ok: false, error: error('this string is never closed', start, `add the closing ${quote}`) };
}
