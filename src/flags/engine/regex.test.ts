import { describe, expect, it } from 'vitest';
import { regexProblem } from './regex.js';

describe('regexProblem', () => {
  it.each([
    ['^[a-z0-9._%+-]+@example\\.com$'],
    ['^(foo|bar)+$'],
    ['^v?\\d+\\.\\d+(\\.\\d+)?$'],
    ['(?:ab)+c'],
    ['^(?=.*x)[a-z]{2,8}$'],
    ['[(+*)]+'],
  ])('accepts the safe pattern %s', (pattern) => expect(regexProblem(pattern)).toBeUndefined());

  it.each([
    ['(a+)+', 'a repeated group contains a quantifier'],
    ['(a|a)*', 'alternatives that can overlap'],
    ['(ab|a)*', 'alternatives that can overlap'],
    ['([a-z]+\\.)+com', 'a repeated group contains a quantifier'],
    ['(a)\\1', 'backreferences'],
  ])('rejects %s: %s', (pattern, reason) => {
    expect(regexProblem(pattern)).toMatchObject({
      code: 'unsafe_regex',
      message: expect.stringContaining(reason),
    });
  });

  it('rejects a pattern longer than 512 characters, and reports syntax errors', () => {
    expect(regexProblem('a'.repeat(513))?.code).toBe('unsafe_regex');
    expect(regexProblem('[a-')?.code).toBe('invalid_regex');
  });
});
