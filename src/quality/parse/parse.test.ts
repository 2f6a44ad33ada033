import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PARSERS } from './index.js';

// Samples written by hand from each format's published description; the expected figures are
// counted by hand from them (see each test's comment).
const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');
const parse = (format: string, text: string) => {
  const parser = PARSERS[format];
  if (parser === undefined) throw new Error(`no parser ${format}`);
  return parser(text);
};

describe('coverage reports', () => {
  it('counts lcov lines and branches from DA and BRDA records', () => {
    // cart.js: lines 1,2,3 hit of 1,2,3,4,7 (3/5); price.js: 1,2 hit of 1,2,3 (line 2 listed twice, hit once) → 5/8.
    // Branches: only 3,0,0 taken of four (a `-` is not taken) → 1/4.
    expect(parse('lcov', fixture('lcov.info'))).toEqual({ ok: true, values: { lines: 62.5, branches: 25 } });
  });

  it('names the line of a broken lcov record', () => {
    const text = fixture('lcov.info').replace('DA:4,0', 'DA:four,0');
    expect(parse('lcov', text)).toMatchObject({ ok: false, problem: { line: 16 } });
    expect(parse('lcov', '{"not": "lcov"}')).toMatchObject({ ok: false, problem: { line: 1 } });
    expect(parse('lcov', '')).toMatchObject({
      ok: false,
      problem: { message: expect.stringContaining('no source file') },
    });
  });

  it('reads Cobertura counts from the coverage element', () => {
    // lines-covered 9 of lines-valid 12 → 75%; branches 4 of 6 → 66.67%.
    expect(parse('cobertura', fixture('cobertura.xml'))).toEqual({
      ok: true,
      values: { lines: 75, branches: 66.67 },
    });
    // An older writer with rates only.
    expect(parse('cobertura', '<coverage line-rate="0.5" branch-rate="0.25"/>')).toEqual({
      ok: true,
      values: { lines: 50, branches: 25 },
    });
  });

  it('names the line of malformed XML and refuses XML that is not Cobertura', () => {
    // `<package>` opened on line 4 is closed by `</packages>` on line 5.
    expect(parse('cobertura', fixture('cobertura-broken.xml'))).toMatchObject({
      ok: false,
      problem: { line: 5 },
    });
    expect(parse('cobertura', '<report/>')).toMatchObject({
      ok: false,
      problem: { message: expect.stringContaining('<coverage>') },
    });
  });
});

describe('lint reports', () => {
  it('counts SARIF errors and warnings by level, rule default, kind and suppression', () => {
    // Errors: no-eval (level), no-unused-vars (its rule's default), stylelint's (second run) = 3.
    // Warnings: max-len by ruleIndex (no default: warning), the one with a rejected suppression = 2.
    // Not counted: a note, a `pass`, a result suppressed in source.
    expect(parse('sarif', fixture('results.sarif'))).toEqual({
      ok: true,
      values: { errors: 3, warnings: 2 },
    });
  });

  it('counts ESLint messages by severity', () => {
    // severity 2 twice (one of them fatal), severity 1 once.
    expect(parse('eslint', fixture('eslint.json'))).toEqual({ ok: true, values: { errors: 2, warnings: 1 } });
  });

  it('names the line and column where JSON breaks', () => {
    const broken = '[\n  { "messages": [\n    { "severity": 2, }\n  ] }\n]';
    // The `}` after the trailing comma: line 3, column 22.
    expect(parse('eslint', broken)).toMatchObject({ ok: false, problem: { line: 3, column: 22 } });
  });
});

describe('dependency and accessibility reports', () => {
  it('reads npm audit counts per severity', () => {
    expect(parse('npm-audit', fixture('npm-audit.json'))).toEqual({
      ok: true,
      values: { info: 0, low: 1, moderate: 2, high: 1, critical: 0, total: 4 },
    });
    expect(
      parse(
        'npm-audit',
        '{"error":{"code":"ENOLOCK","summary":"This command requires an existing lockfile."}}',
      ),
    ).toMatchObject({
      ok: false,
      problem: { message: 'npm audit did not run: This command requires an existing lockfile.' },
    });
  });

  it('counts axe violation nodes by impact, not incomplete ones', () => {
    // color-contrast 3 serious nodes, image-alt 1 critical, region 2 moderate (one from the rule) = 6.
    expect(parse('axe', fixture('axe.json'))).toEqual({
      ok: true,
      values: { errors: 6, critical: 1, serious: 3, moderate: 2, minor: 0 },
    });
    // @axe-core/cli writes one result per page: the nodes add up.
    const two = `[${fixture('axe.json')}, ${fixture('axe.json')}]`;
    expect(parse('axe', two)).toMatchObject({ ok: true, values: { errors: 12 } });
  });

  it('counts pa11y issues by type, also in pa11y-ci output', () => {
    const issues = fixture('pa11y.json');
    expect(parse('pa11y', issues)).toEqual({ ok: true, values: { errors: 2, warnings: 1, notices: 1 } });
    const ci = `{"total":4,"passes":0,"errors":2,"results":{"http://localhost:3000/":${issues}}}`;
    expect(parse('pa11y', ci)).toEqual({ ok: true, values: { errors: 2, warnings: 1, notices: 1 } });
  });
});

describe('what a problem says', () => {
  it('never quotes the file it could not read', () => {
    const secret = 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    for (const format of Object.keys(PARSERS)) {
      const parsed = parse(format, `${secret}\n`);
      expect(parsed.ok, format).toBe(false);
      if (!parsed.ok) expect(parsed.problem.message, format).not.toMatch(/wJalr|AWS_SECRET/);
    }
  });
});
