import { describe, expect, it } from 'vitest';
import { counted } from './plural.js';

describe('counted', () => {
  it('uses the singular for exactly one and the plural for everything else', () => {
    expect([0, 1, 2, 21].map((n) => counted(n, 'stage'))).toEqual([
      '0 stages',
      '1 stage',
      '2 stages',
      '21 stages',
    ]);
  });

  it('takes the plural of nouns not made with s', () => {
    expect(counted(1, 'entry', 'entries')).toBe('1 entry');
    expect(counted(3, 'entry', 'entries')).toBe('3 entries');
  });
});
