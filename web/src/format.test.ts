import { describe, expect, it } from 'vitest';
import { age, duration, percent, plural, short } from './format.js';

describe('display helpers', () => {
  it('shows a duration in its two largest units, leaving a zero second unit out', () => {
    expect(duration(450)).toBe('450ms');
    expect(duration(45_000)).toBe('45s');
    expect(duration(3 * 3_600_000 + 12 * 60_000 + 5_000)).toBe('3h 12m');
    expect(duration(2 * 86_400_000)).toBe('2d');
    expect(duration(null)).toBe('—');
  });

  it('says how long ago or how soon', () => {
    const now = Date.parse('2026-12-05T10:00:00Z');
    expect(age('2026-12-05T09:55:00Z', now)).toBe('5m ago');
    expect(age('2026-12-05T12:00:00Z', now)).toBe('in 2h');
  });

  it('shortens digests and shas, counts with the right word, and prints shares', () => {
    expect(short('sha256:0123456789abcdef')).toBe('01234567');
    expect(plural(1, 'stage')).toBe('1 stage');
    expect(plural(3, 'stage')).toBe('3 stages');
    expect(percent(0.125)).toBe('12.5%');
    expect(percent(0.5)).toBe('50%');
  });
});
