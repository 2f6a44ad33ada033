import { describe, expect, it } from 'vitest';
import { backoffDelay, resolveBackoff } from './backoff.js';
import { FlowlineProviderOptionsError, resolveOptions } from './options.js';

const valid = {
  url: 'https://flowline.example.com/base/',
  token: 'flt_x',
  service: 'shop',
  environment: 'prod eu',
};

describe('provider options', () => {
  it('builds the flag-set URL under a path prefix, encoding service and environment', () => {
    expect(resolveOptions(valid).flagsUrl).toBe('https://flowline.example.com/base/v1/flags/shop/prod%20eu');
  });

  it('sends evaluation counts every 30 s by default, to …/evaluations, and checks the interval', () => {
    const resolved = resolveOptions(valid);
    expect(resolved).toMatchObject({ countEvaluations: true, countsFlushIntervalMs: 30_000 });
    expect(resolved.countsUrl).toBe('https://flowline.example.com/base/v1/flags/shop/prod%20eu/evaluations');
    expect(resolveOptions({ ...valid, countEvaluations: false }).countEvaluations).toBe(false);
    expect(() => resolveOptions({ ...valid, countsFlushIntervalMs: 0 })).toThrow(/countsFlushIntervalMs/);
  });

  it('reports every problem at once, unknown options included', () => {
    const bad = { ...valid, url: 'flowline.local', token: '', staleAfterMs: -1, tokn: 'x' };
    expect(() => resolveOptions(bad)).toThrow(FlowlineProviderOptionsError);
    expect(() => resolveOptions(bad)).toThrow(
      /unknown option `tokn`.*`url` must be an absolute URL.*`token`.*`staleAfterMs`/,
    );
  });
});

describe('reconnection backoff', () => {
  it('grows exponentially up to the cap', () => {
    const backoff = resolveBackoff({ initialDelayMs: 100, maxDelayMs: 1_000, jitter: 0 });
    expect([0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(backoff, attempt))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('takes off up to `jitter` of each delay, and never waits less than the server asked', () => {
    const low = resolveBackoff({ initialDelayMs: 100, jitter: 0.5, random: () => 0.999_999 });
    const high = resolveBackoff({ initialDelayMs: 100, jitter: 0.5, random: () => 0 });
    expect(backoffDelay(low, 0)).toBe(50);
    expect(backoffDelay(high, 0)).toBe(100);
    expect(backoffDelay(low, 0, 3_000)).toBe(3_000);
    expect(backoffDelay(low, 0, 90_000)).toBe(30_000);
  });

  it('refuses a cap below the first delay', () => {
    expect(() => resolveBackoff({ initialDelayMs: 10, maxDelayMs: 5 })).toThrow(/maxDelayMs/);
  });
});
