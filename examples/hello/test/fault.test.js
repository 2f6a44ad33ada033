import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { faultFromEnv, updateFault } from '../src/fault.js';

describe('the fault switch', () => {
  it('is off when no FAULT_* variable is set', () => {
    assert.deepEqual(faultFromEnv({}), {
      fault: { errorRate: 0, latencyMs: 0, slowdown: 0, unhealthy: false },
    });
  });

  it('reads error rate, latency, slowdown and health from the environment', () => {
    const { fault } = faultFromEnv({
      FAULT_ERROR_RATE: '0.25',
      FAULT_LATENCY_MS: '150',
      FAULT_SLOWDOWN: '0.2',
      FAULT_UNHEALTHY: '1',
    });
    assert.deepEqual(fault, { errorRate: 0.25, latencyMs: 150, slowdown: 0.2, unhealthy: true });
  });

  it('refuses a negative or absurd slowdown', () => {
    assert.match(
      faultFromEnv({ FAULT_SLOWDOWN: '-0.1' }).error ?? '',
      /slowdown must be a number from 0 to 10/,
    );
    assert.match(faultFromEnv({ FAULT_SLOWDOWN: '20%' }).error ?? '', /slowdown/);
  });

  it('refuses an error rate outside 0..1', () => {
    assert.match(
      faultFromEnv({ FAULT_ERROR_RATE: '2' }).error ?? '',
      /errorRate must be a number from 0 to 1/,
    );
    assert.match(faultFromEnv({ FAULT_ERROR_RATE: 'lots' }).error ?? '', /errorRate/);
  });

  it('applies a partial update and keeps the other settings', () => {
    const current = { errorRate: 0.5, latencyMs: 100, slowdown: 0, unhealthy: false };
    assert.deepEqual(updateFault(current, { unhealthy: true }), { fault: { ...current, unhealthy: true } });
  });

  it('names an unknown field in an update', () => {
    const current = { errorRate: 0, latencyMs: 0, slowdown: 0, unhealthy: false };
    assert.match(updateFault(current, { errorrate: 1 }).error ?? '', /unknown field errorrate/);
    assert.match(updateFault(current, [1]).error ?? '', /expected a JSON object/);
  });
});
