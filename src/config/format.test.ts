import { describe, expect, it } from 'vitest';
import { formatIssues, parseConfig } from './index.js';

const TEXT = 'version: 1\nservice: shop\nenvironments:\n  prod:\n    stratgy: {}\n';

describe('formatIssues', () => {
  it('renders file:line:col, severity, code, path, message, the source line with a caret, and the hint', () => {
    const result = parseConfig(TEXT, 'flowline.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const unknown = result.errors.filter((issue) => issue.code === 'unknown_key');
    expect(formatIssues(unknown, { color: false })).toBe(
      [
        'flowline.yaml:5:5 error unknown_key environments.prod.stratgy: unknown key `stratgy`',
        '  5 |     stratgy: {}',
        '    |     ^^^^^^^',
        '  hint: did you mean `strategy`?',
      ].join('\n'),
    );
  });

  it('labels warnings as warnings', () => {
    const text = 'version: 1\nservice: shop\nsegments:\n  empty: {}\n';
    const { warnings } = parseConfig(text, 'other.yaml');
    expect(formatIssues(warnings, { color: false }).split('\n')[0]).toBe(
      'other.yaml:4:3 warning empty_segment segments.empty: segment `empty` has neither `include` nor `rules`, so it matches nobody',
    );
  });

  it('uses the sources given, and skips the excerpt when the text is unknown', () => {
    const issue = {
      code: 'unknown_key',
      message: 'unknown key `x`',
      file: 'elsewhere.yaml',
      line: 2,
      column: 3,
    };
    expect(formatIssues([issue], { color: false })).toBe(
      'elsewhere.yaml:2:3 error unknown_key: unknown key `x`',
    );
    const withSource = formatIssues([issue], {
      color: false,
      sources: { 'elsewhere.yaml': 'a: 1\nb:\n  x: 2\n' },
    });
    expect(withSource.split('\n')[1]).toBe('  2 | b:');
  });

  it('colours only when asked', () => {
    const issue = { code: 'c', message: 'm' };
    expect(formatIssues([issue], { color: true })).toContain('\u001b[');
    expect(formatIssues([issue], { color: false })).toBe('error c: m');
  });

  it('shows a long line around the column only, the caret still under the value', () => {
    const line = `b: [${'*a, '.repeat(250_000)}*bad]`;
    const issue = {
      code: 'yaml_alias',
      message: 'm',
      file: 'big.yaml',
      line: 2,
      column: line.indexOf('*bad') + 1,
    };
    const [, excerpt = '', caret = ''] = formatIssues([issue], {
      color: false,
      sources: { 'big.yaml': `a: &a x\n${line}\n` },
    }).split('\n');
    expect(excerpt.length).toBeLessThan(200);
    expect(excerpt.endsWith('*a, *a, *bad]')).toBe(true);
    expect(excerpt.slice(caret.indexOf('^'))).toBe('*bad]');
    expect(caret.match(/\^+/)?.[0]).toBe('^^^^');
  });

  it('labels the count of warnings left out as a warning', () => {
    expect(
      formatIssues([{ code: 'more_warnings', message: '3 more warnings not shown' }], { color: false }),
    ).toBe('warning more_warnings: 3 more warnings not shown');
  });
});
