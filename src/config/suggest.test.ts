import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';
import { closest, didYouMean } from './suggest.js';

describe('closest', () => {
  it('finds typos, swapped letters and shortened names', () => {
    expect(closest('stagse', ['build', 'stages', 'run'])).toBe('stages');
    expect(closest('stratgy', ['ephemeral', 'strategy'])).toBe('strategy');
    expect(closest('prod', ['staging', 'production'])).toBe('production');
    expect(closest('of', ['on', 'off'])).toBe('off');
  });

  it('suggests nothing when no candidate is close', () => {
    expect(closest('zzz', ['build', 'stages'])).toBeUndefined();
    expect(didYouMean('zzz', ['a', 'b'], 'known names')).toBe('known names: `a` and `b`');
    expect(didYouMean('zzz', [], 'defined stages')).toBe('there are no defined stages');
  });
});

describe('parseDuration', () => {
  it('reads units and combinations into milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('72h')).toBe(259_200_000);
    expect(parseDuration('1d2h')).toBe(93_600_000);
    expect(parseDuration('1h30m15s')).toBe(5_415_000);
  });

  it('refuses numbers without units and unknown units', () => {
    for (const text of ['30', '5 sec', '1w', '', 'm', '-1s'])
      expect(parseDuration(text), text).toBeUndefined();
  });
});
