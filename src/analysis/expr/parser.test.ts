import { describe, expect, it } from 'vitest';
import { formatExpression, formatSyntaxError, parseExpression } from './index.js';

function syntaxError(text: string): string {
  const out = parseExpression(text);
  if (out.ok) throw new Error(`expected \`${text}\` to be refused`);
  return formatSyntaxError(out.error);
}

function hintOf(text: string): string | undefined {
  const out = parseExpression(text);
  return out.ok ? undefined : out.error.hint;
}

function canonical(text: string): string {
  const out = parseExpression(text);
  if (!out.ok) throw new Error(formatSyntaxError(out.error));
  return formatExpression(out.expr.ast);
}

describe('parsing conditions', () => {
  it('reads operators with the usual precedence', () => {
    expect(canonical('result < 0.01')).toBe('result < 0.01');
    expect(canonical('1 + 2 * 3 - 4 / 5 % 6')).toBe('1 + 2 * 3 - 4 / 5 % 6');
    expect(canonical('(1 + 2) * 3')).toBe('(1 + 2) * 3');
    expect(canonical('1 - (2 - 3)')).toBe('1 - (2 - 3)');
    expect(canonical('result > 1 || result < 0 && baseline == null')).toBe(
      'result > 1 || result < 0 && baseline == null',
    );
    expect(canonical('(result > 1 || result < 0) && baseline == null')).toBe(
      '(result > 1 || result < 0) && baseline == null',
    );
  });

  it('accepts the word operators as the symbols', () => {
    expect(canonical('not (result > 1) and result >= 0 or baseline != null')).toBe(
      '!(result > 1) && result >= 0 || baseline != null',
    );
  });

  it('reads literals: numbers with exponents, both quotes, escapes, true, false, null', () => {
    expect(canonical('1e-3 < .5 && 2E+2 == 200.')).toBe('0.001 < 0.5 && 200 == 200');
    expect(canonical(`result.state == 'it\\'s' || result.state == "a\\"b\\n"`)).toBe(
      'result.state == "it\'s" || result.state == "a\\"b\\n"',
    );
    expect(canonical('true != false && null == null')).toBe('true != false && null == null');
  });

  it('reads fields, indexes and function calls', () => {
    expect(canonical('len(result) > 0 && result[0].value["p99 ms"] < max(1, baseline * 1.2)')).toBe(
      'len(result) > 0 && result[0].value["p99 ms"] < max(1, baseline * 1.2)',
    );
    expect(canonical('default(result.p99, 0) <= abs(-1) && !isNaN(min(result))')).toBe(
      'default(result.p99, 0) <= abs(-1) && !isNaN(min(result))',
    );
  });

  it('notes whether the condition reads the baseline', () => {
    const read = (text: string) => {
      const out = parseExpression(text);
      return out.ok && out.expr.usesBaseline;
    };
    expect(read('result < 0.01')).toBe(false);
    expect(read('result < default(baseline, 0) * 1.5')).toBe(true);
  });
});

describe('syntax errors', () => {
  it('say what was expected and where, with a 1-based column', () => {
    expect(syntaxError('result < ')).toBe('expected a value after `<` at column 10');
    expect(syntaxError('result < )')).toBe('expected a value after `<`, found `)` at column 10');
    expect(syntaxError('result <')).toBe('expected a value after `<` at column 9');
    expect(syntaxError('')).toBe('the condition is empty at column 1');
    expect(syntaxError('(result < 1')).toBe(
      'expected `)` to close the `(` at column 1, found the end of the condition at column 12',
    );
    expect(syntaxError('result 1')).toBe('unexpected `1` after a complete expression at column 8');
    expect(syntaxError('result < 1)')).toBe('unexpected `)` after a complete expression at column 11');
    expect(syntaxError('result.')).toBe(
      'expected a field name after `.`, found the end of the condition at column 8',
    );
    expect(syntaxError('result[0')).toBe(
      'expected `]` to close the `[` at column 7, found the end of the condition at column 9',
    );
    expect(syntaxError('max(1,)')).toBe('expected a value after `,`, found `)` at column 7');
    expect(syntaxError('result and')).toBe('expected a value after `and` at column 11');
    expect(syntaxError('not')).toBe('expected a value after `not` at column 4');
  });

  it('catch the mistakes people make, with a hint', () => {
    expect(syntaxError('result = 1')).toBe('`=` is not an operator at column 8');
    expect(hintOf('result = 1')).toBe('compare with `==`');
    expect(syntaxError('result > 0 & result < 1')).toBe('`&` is not an operator at column 12');
    expect(syntaxError('0 < result < 1')).toBe('comparisons cannot be chained: `<` follows `<` at column 12');
    expect(hintOf('0 < result < 1')).toBe('write `a < b && b < c`, or add parentheses');
    expect(syntaxError('reslt < 1')).toBe('unknown name `reslt` at column 1');
    expect(hintOf('reslt < 1')).toBe('did you mean `result`?');
    expect(hintOf('True')).toBe('did you mean `true`?');
    expect(hintOf('xyz')).toBe('conditions read: `result`, `baseline`, `true`, `false`, `null`');
    expect(syntaxError('avg(result)')).toBe('unknown function `avg` at column 1');
    expect(hintOf('mx(result)')).toBe('did you mean `max`?');
    expect(syntaxError('abs(1, 2)')).toBe('`abs` takes 1 argument, got 2 at column 1');
    expect(syntaxError('min()')).toBe('`min` takes at least 1 argument, got 0 at column 1');
    expect(syntaxError('abs < 1')).toBe('`abs` is a function at column 1');
    expect(syntaxError('result(1)')).toBe('`result` is not a function at column 1');
  });

  it('refuse malformed numbers and strings', () => {
    expect(syntaxError('result < 1e')).toBe('malformed number `1e` at column 10');
    expect(syntaxError('result < 1.2.3')).toBe('malformed number `1.2.3` at column 10');
    expect(syntaxError('result < 1e999')).toBe('number `1e999` is too large at column 10');
    expect(syntaxError('result == "abc')).toBe('this string is never closed at column 11');
    expect(syntaxError("result == 'a\\x'")).toBe('unknown escape `\\x` in a string at column 13');
    expect(syntaxError('result # 1')).toBe('unexpected character `#` at column 8');
  });

  it('bound the size and nesting of a condition', () => {
    expect(syntaxError(`${'('.repeat(200)}1${')'.repeat(200)}`)).toMatch(
      /^the condition is nested more than 100 levels deep/,
    );
    expect(syntaxError(`${'!'.repeat(500)}true`)).toMatch(/nested more than 100 levels/);
    expect(syntaxError(Array.from({ length: 150 }, () => '1').join('+'))).toMatch(
      /nested more than 100 levels/,
    );
    expect(syntaxError(`result < ${'1'.repeat(5000)}`)).toMatch(/longer than 4096 characters/);
  });
});
