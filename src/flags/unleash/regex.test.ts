import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { translateRe2 } from './regex.js';

/** What unleash-client answers: RE2JS, CASE_INSENSITIVE when asked, `find()` anywhere in the value. */
function unleashMatches(pattern: string, caseInsensitive: boolean, value: string): boolean {
  try {
    const regex = RE2JS.compile(pattern, caseInsensitive ? RE2JS.CASE_INSENSITIVE : undefined);
    return regex.matcher(value).find();
  } catch {
    return false;
  }
}

function ours(pattern: string, caseInsensitive: boolean, value: string): boolean | 'refused' {
  const t = translateRe2(pattern, caseInsensitive);
  if (!t.ok) return t.never ? false : 'refused';
  return new RegExp(t.pattern).test(value);
}

describe('translateRe2 (Unleash REGEX constraints)', () => {
  it.each([
    // [pattern, caseInsensitive, value, Unleash's answer]
    ['(?i)^beta', false, 'BETA-tester', true],
    ['^beta', true, 'BETA-tester', true],
    ['^beta', false, 'BETA-tester', false],
    ['^[[:alpha:]]+$', false, 'abc', true],
    ['^[[:alpha:]]+$', false, 'ab1', false],
    ['^[[:^digit:]]+$', false, 'ab', true],
    ['^\\s$', false, '\u00a0', false], // RE2's \s is ASCII; JavaScript's would match
    ['^\\s$', false, '\v', false],
    ['^.$', false, '😀', true], // one code point
    ['^..$', false, '😀', false],
    ['^[^a]$', false, '😀', true],
    ['^\\S+\\W+$', false, '😀', false], // one character cannot feed both runs
    ['^.*$', false, 'a😀b', true],
    ['(?s)^a.b$', false, 'a\nb', true],
    ['^a.b$', false, 'a\nb', false],
    ['(?m)^b$', false, 'a\nb\nc', true],
    ['^b$', false, 'a\nb\nc', false],
    ['\\Aab\\z', false, 'ab', true],
    ['(?i)s', false, 'ſ', true], // RE2 folds ſ with s
    ['(?i)\\w', false, 'K', true], // and the Kelvin sign with k
    ['[]a]', false, ']', true],
    ['\\Qa.b\\E', false, 'axb', false],
    ['\\Qa.b\\E', false, 'a.b', true],
    ['(?P<year>\\d{4})-', false, 'in 2024-', true],
    ['a(?=b)', false, 'ab', false], // RE2 refuses lookarounds: the constraint is always false
    ['x{1001}', false, 'x', false],
  ] as const)('%s (caseInsensitive %s) on %j: %s', (pattern, ci, value, expected) => {
    expect(unleashMatches(pattern, ci, value)).toBe(expected);
    expect(ours(pattern, ci, value)).toBe(expected);
  });

  it('keeps common patterns short enough for the engine’s length cap, and safe', async () => {
    const { regexProblem } = await import('../engine/regex.js');
    for (const pattern of [
      '^.*@acme\\.com$',
      '^[^@]+@[^.]+\\.[^.]+$',
      '(?i)^(beta|canary)-\\d+$',
      '^\\S+\\s\\S+$',
    ]) {
      const t = translateRe2(pattern, false);
      if (!t.ok) throw new Error(`${pattern}: ${t.reason}`);
      expect(regexProblem(t.pattern), `${pattern} → ${t.pattern}`).toBeUndefined();
      expect(t.pattern.length).toBeLessThan(200);
    }
  });

  it('refuses what it cannot translate exactly, with the reason', () => {
    expect(translateRe2('\\pL+', false)).toMatchObject({
      ok: false,
      never: false,
      reason: expect.stringContaining('Unicode class'),
    });
    expect(translateRe2('a(?i)b', false)).toMatchObject({ ok: false, never: false });
    expect(translateRe2('é', true)).toMatchObject({ ok: false, never: false });
    expect(translateRe2('(?U)a+', false)).toMatchObject({ ok: false, never: false });
  });

  // Patterns built from the translated constructs, on values drawn from the pattern's own alphabet
  // plus characters where the dialects differ (Unicode spaces, ſ, K, astral, newlines).
  const atoms = fc.constantFrom(
    'a',
    'b',
    'k',
    's',
    'S',
    '.',
    '\\d',
    '\\w',
    '\\W',
    '\\s',
    '\\S',
    '\\D',
    '[a-c]',
    '[^a]',
    '[[:alpha:]]',
    '[[:^space:]]',
    '[k-s]',
    '\\.',
    'é',
    '😀',
    '\\x41',
    '^',
    '$',
    '\\b',
    '\\B',
    '\\n',
  );
  const quantifiers = fc.constantFrom('', '', '*', '+', '?', '{2}', '{1,2}', '*?');
  const piece = fc
    .tuple(atoms, quantifiers)
    .map(([a, q]) => (a === '^' || a === '$' || a.startsWith('\\b') || a.startsWith('\\B') ? a : a + q));
  const pattern = fc
    .tuple(
      fc.constantFrom('', '(?i)', '(?s)', '(?m)', '(?is)'),
      fc.array(piece, { minLength: 1, maxLength: 5 }),
      fc.boolean(),
    )
    .map(
      ([flags, pieces, grouped]) =>
        flags + (grouped ? `(${pieces.slice(0, 2).join('')})|${pieces.slice(2).join('')}` : pieces.join('')),
    );
  const value = fc
    .array(
      fc.constantFrom(
        'a',
        'b',
        'A',
        'K',
        'k',
        's',
        'S',
        'ſ',
        'K',
        '\u00a0',
        '\v',
        '\n',
        ' ',
        '1',
        '.',
        'é',
        'É',
        '😀',
        '_',
      ),
      { maxLength: 6 },
    )
    .map((chars) => chars.join(''));

  it('gives RE2’s answer on every generated pattern and value it translates', () => {
    let translated = 0;
    let total = 0;
    fc.assert(
      fc.property(pattern, fc.boolean(), fc.array(value, { minLength: 5, maxLength: 5 }), (p, ci, values) => {
        total++;
        const t = translateRe2(p, ci);
        if (!t.ok && !t.never) return;
        translated++;
        for (const v of values)
          expect(ours(p, ci, v), `${p} ci=${ci} on ${JSON.stringify(v)}`).toBe(unleashMatches(p, ci, v));
      }),
      { numRuns: 2000 },
    );
    expect(translated / total).toBeGreaterThan(0.7);
  });
});
