import {
  complement,
  DIGIT,
  emit,
  escapeUnit,
  foldAscii,
  MAX_CODE_POINT,
  normalize,
  POSIX,
  type Range,
  Refused,
  SPACE,
  SURROGATES,
  WORD,
} from './regex-sets.js';

/**
 * Unleash's REGEX constraint runs RE2 (unleash-client compiles it with `re2js`, Go's syntax, with
 * `caseInsensitive` as RE2's CASE_INSENSITIVE flag) and searches anywhere in the value. Flowline
 * runs JavaScript regular expressions, whose meaning differs on the same text: `\s` and `.` match
 * other characters, POSIX classes and inline flags do not exist, JavaScript steps through UTF-16
 * code units where RE2 steps through code points, and RE2's case folding also pairs `s` with `ſ`
 * and `k` with the Kelvin sign.
 *
 * So a pattern is translated, piece by piece, into a JavaScript pattern with the same matches
 * (no JavaScript flags: case folding is spelled out as character sets), or refused with the reason.
 * Only constructs whose RE2 meaning is known are translated; anything else is refused rather than
 * guessed. Character sets are built as code point ranges, so a class, `.` or `\W` that can match a
 * character outside the Basic Multilingual Plane matches its surrogate pair as one character.
 */

export type Translation =
  | { readonly ok: true; readonly pattern: string }
  /** `never`: RE2 refuses the pattern, so Unleash's constraint is always false. */
  | { readonly ok: false; readonly never: boolean; readonly reason: string };

/** Translates an RE2 pattern (as Unleash evaluates it) into a JavaScript pattern with the same matches. */
export function translateRe2(pattern: string, caseInsensitive: boolean): Translation {
  try {
    return { ok: true, pattern: new Translator(pattern, caseInsensitive).run() };
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    return { ok: false, never: error.never, reason: error.message };
  }
}

class Translator {
  private i = 0;
  private fold: boolean;
  private dotAll = false;
  private multiLine = false;

  constructor(
    private readonly source: string,
    caseInsensitive: boolean,
  ) {
    this.fold = caseInsensitive;
  }

  run(): string {
    // Leading flag groups, e.g. `(?i)` or `(?is)`: RE2 flags that apply to the whole pattern.
    for (let m = /^\(\?([a-zA-Z]+)\)/.exec(this.source); m !== null; ) {
      for (const flag of m[1] as string) {
        if (flag === 'i') this.fold = true;
        else if (flag === 's') this.dotAll = true;
        else if (flag === 'm') this.multiLine = true;
        else throw new Refused(`the flag \`(?${flag})\``);
      }
      this.i += m[0].length;
      m = /^\(\?([a-zA-Z]+)\)/.exec(this.source.slice(this.i));
    }
    let out = '';
    while (this.i < this.source.length) out += this.piece();
    return out;
  }

  private piece(): string {
    const s = this.source;
    const ch = s[this.i] as string;
    this.i++;
    switch (ch) {
      case '\\':
        return this.escape();
      case '[':
        return this.emitSet(this.bracket());
      case '.':
        return this.emitSet(complement(this.dotAll ? [] : [[0x0a, 0x0a]]));
      case '^':
        return this.multiLine ? '(?<![^\\n])' : '^';
      case '$':
        return this.multiLine ? '(?![^\\n])' : '$';
      case '(':
        return this.group();
      case ')':
      case '|':
      case '*':
      case '+':
      case '?':
        return ch;
      case '{': {
        const m = /^(\d+)(,(\d*))?\}/.exec(s.slice(this.i));
        if (m === null) return '\\{';
        if (Number(m[1]) > 1000 || Number(m[3] ?? 0) > 1000)
          throw new Refused('a repetition count above 1000 (RE2 refuses it)', true);
        this.i += m[0].length;
        return `{${m[0]}`;
      }
      case '}':
      case ']':
        return `\\${ch}`;
      default:
        return this.literal(this.codePointAt(this.i - 1));
    }
  }

  private group(): string {
    const rest = this.source.slice(this.i);
    if (!rest.startsWith('?')) return '(';
    if (rest.startsWith('?:')) {
      this.i += 2;
      return '(?:';
    }
    const named = /^\?P?<[A-Za-z0-9_]+>/.exec(rest);
    if (named !== null) {
      this.i += named[0].length;
      return '(?:'; // a name changes nothing about whether the pattern matches
    }
    if (/^\?<?[=!]/.test(rest)) throw new Refused('a lookaround (RE2 refuses it)', true);
    throw new Refused('flags inside the pattern (only leading flags like `(?i)` are translated)');
  }

  private escape(): string {
    const s = this.source;
    const ch = s[this.i];
    if (ch === undefined) throw new Refused('a trailing backslash (RE2 refuses it)', true);
    this.i++;
    const set = this.classEscape(ch);
    if (set !== undefined) return this.emitSet(set);
    switch (ch) {
      case 'b':
        return '\\b'; // ASCII word boundaries in both
      case 'B':
        // …but RE2 has no position between the two halves of a surrogate pair; JavaScript does.
        return '\\B(?![\\uDC00-\\uDFFF])';
      case 'A':
        return '(?<![\\s\\S])';
      case 'z':
        return '(?![\\s\\S])';
      case 'Q': {
        const end = s.indexOf('\\E', this.i);
        const text = s.slice(this.i, end === -1 ? s.length : end);
        this.i = end === -1 ? s.length : end + 2;
        let out = '';
        for (const c of text) out += this.literal(c.codePointAt(0) as number);
        return out;
      }
      default:
        return this.literal(this.escapedChar(ch));
    }
  }

  /** `\d \w \s` and negations, with RE2's ASCII meaning; undefined for other escapes. */
  private classEscape(ch: string): Range[] | undefined {
    const base =
      ch === 'd' || ch === 'D'
        ? DIGIT
        : ch === 'w' || ch === 'W'
          ? WORD
          : ch === 's' || ch === 'S'
            ? SPACE
            : undefined;
    if (base === undefined) return undefined;
    const folded = this.fold ? foldAscii(base) : base;
    return ch === ch.toUpperCase() ? complement(folded) : folded;
  }

  /** The code point of a single-character escape (`\n`, `\x41`, `\x{263a}`, `\.`). */
  private escapedChar(ch: string): number {
    const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (simple[ch] !== undefined) return simple[ch];
    if (ch === 'x') {
      const m = /^(?:([0-9A-Fa-f]{2})|\{([0-9A-Fa-f]{1,6})\})/.exec(this.source.slice(this.i));
      if (m === null) throw new Refused('an invalid `\\x` escape (RE2 refuses it)', true);
      this.i += m[0].length;
      const code = Number.parseInt((m[1] ?? m[2]) as string, 16);
      if (code > MAX_CODE_POINT) throw new Refused('an invalid `\\x` escape (RE2 refuses it)', true);
      return code;
    }
    if (/^[!-/:-@[-`{-~]$/.test(ch)) return ch.charCodeAt(0); // escaped punctuation is itself
    if (ch === 'p' || ch === 'P') throw new Refused('a Unicode class (`\\p`)');
    throw new Refused(`the escape \`\\${ch}\``);
  }

  private bracket(): Range[] {
    const s = this.source;
    let negated = false;
    if (s[this.i] === '^') {
      negated = true;
      this.i++;
    }
    const items: Range[] = [];
    let first = true;
    for (;;) {
      const ch = s[this.i];
      if (ch === undefined) throw new Refused('a class without `]` (RE2 refuses it)', true);
      if (ch === ']' && !first) {
        this.i++;
        break;
      }
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(s.slice(this.i));
      if (posix !== null) {
        const set = POSIX[posix[2] as string];
        if (set === undefined) throw new Refused(`the class \`${posix[0]}\` (RE2 refuses it)`, true);
        this.i += posix[0].length;
        const folded = this.fold ? foldAscii(set) : set;
        items.push(...(posix[1] === '^' ? complement(folded) : folded));
        continue;
      }
      if (ch === '\\') {
        const next = s[this.i + 1];
        const set = next === undefined ? undefined : this.classEscape(next);
        if (set !== undefined) {
          this.i += 2;
          items.push(...set);
          continue;
        }
      }
      const low = this.classChar();
      let high = low;
      if (s[this.i] === '-' && s[this.i + 1] !== undefined && s[this.i + 1] !== ']') {
        this.i++;
        high = this.classChar();
        if (high < low) throw new Refused('a class range out of order (RE2 refuses it)', true);
      }
      items.push(...this.foldRange([low, high]));
    }
    const set = normalize(items);
    return negated ? complement(set) : set;
  }

  private classChar(): number {
    const ch = this.source[this.i] as string;
    if (ch === '\\') {
      this.i += 2;
      const next = this.source[this.i - 1];
      if (next === undefined) throw new Refused('a trailing backslash (RE2 refuses it)', true);
      return this.escapedChar(next);
    }
    const code = this.codePointAt(this.i);
    this.i += code > 0xffff ? 2 : 1;
    return code;
  }

  private codePointAt(index: number): number {
    const code = this.source.codePointAt(index) as number;
    if (code >= SURROGATES[0] && code <= SURROGATES[1]) throw new Refused('a lone surrogate');
    if (code > 0xffff && index === this.i - 1) this.i++;
    return code;
  }

  /**
   * A set directly under `*` or `+` is written as code units, surrogates included, followed by a
   * guard that the run does not stop between the halves of a pair: then a run of code units from
   * it is a run of whole characters from it in any valid text. This keeps `.*` a plain class,
   * which the engine's safety check accepts (an alternation under `*` it does not).
   */
  private emitSet(set: Range[]): string {
    const next = this.source[this.i];
    if ((next !== '*' && next !== '+') || !set.some(([, hi]) => hi === MAX_CODE_POINT)) return emit(set);
    this.i++;
    let quantifier = next;
    if (this.source[this.i] === '?') {
      quantifier += '?';
      this.i++;
    }
    const after = this.source[this.i];
    if (after === '*' || after === '+' || after === '?')
      throw new Refused('a repetition of a repetition (RE2 refuses it)', true);
    if (after === '{') throw new Refused('a repetition followed by `{`');
    const units = emit([...set.filter(([lo]) => lo <= 0xffff), SURROGATES], true);
    return `${units}${quantifier}(?![\\uDC00-\\uDFFF])`;
  }

  private literal(code: number): string {
    if (this.fold) return emit(normalize(this.foldRange([code, code])));
    if (code > 0xffff) return `(?:${escapeUnit(code)})`;
    return escapeUnit(code);
  }

  /** RE2's simple case folding, for ASCII: other-case letters, plus `ſ` for s and the Kelvin sign for k. */
  private foldRange(range: Range): Range[] {
    if (!this.fold) return [range];
    if (range[1] > 0x7f) {
      throw new Refused(
        'non-ASCII characters under case-insensitive matching (RE2 folds them by Unicode tables)',
      );
    }
    return foldAscii([range]);
  }
}
