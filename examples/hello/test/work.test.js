import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workDelayMs, workFromEnv } from '../src/work.js';

/** A random source that returns the given uniforms in turn. */
function uniforms(...values) {
  let i = 0;
  return () => values[i++ % values.length];
}

describe('the simulated work', () => {
  it('is off unless WORK_MS is set', () => {
    assert.deepEqual(workFromEnv({}), { workMs: 0 });
    assert.equal(workDelayMs(0, 0.5), 0);
  });

  it('refuses a WORK_MS that is not a number of milliseconds', () => {
    assert.match(workFromEnv({ WORK_MS: 'fast' }).error ?? '', /WORK_MS must be a number/);
    assert.match(workFromEnv({ WORK_MS: '-5' }).error ?? '', /WORK_MS/);
  });

  it('waits the median when the normal draw is 0, and e^σ times it one σ up', () => {
    // Box-Muller: u1 = 1 - e^(-1/2) gives a radius of 1; cos(2π·u2) is 0 at u2 = 1/4, 1 at u2 = 0.
    const radiusOne = 1 - Math.exp(-0.5);
    assert.ok(Math.abs(workDelayMs(20, 0, uniforms(radiusOne, 0.25)) - 20) < 1e-9);
    assert.ok(Math.abs(workDelayMs(20, 0, uniforms(radiusOne, 0)) - 20 * Math.exp(0.5)) < 1e-9);
  });

  it('takes exactly 1 + slowdown times as long for the same draw', () => {
    const draw = [0.3, 0.7];
    const normal = workDelayMs(20, 0, uniforms(...draw));
    assert.ok(Math.abs(workDelayMs(20, 0.2, uniforms(...draw)) / normal - 1.2) < 1e-12);
  });

  it('has median WORK_MS and p99 about 3.2 times it over many requests', () => {
    let seed = 42;
    // A small LCG: the same draws on every run.
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const delays = Array.from({ length: 20_000 }, () => workDelayMs(10, 0, random)).sort((a, b) => a - b);
    const at = (q) => delays[Math.floor(q * delays.length)];
    // Log-normal quantiles: median e^0 = 1, p99 e^(2.326·0.5) = 3.20 (times WORK_MS).
    assert.ok(Math.abs(at(0.5) / 10 - 1) < 0.03, `median ${at(0.5)}`);
    assert.ok(Math.abs(at(0.99) / 10 / 3.2 - 1) < 0.08, `p99 ${at(0.99)}`);
  });
});
