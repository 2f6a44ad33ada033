import { describe, expect, it } from 'vitest';
import { timedDeployments } from './deployments.js';
import { deploymentFrequency } from './frequency.js';
import { deployment } from './testing.js';
import type { DeploymentRecord } from './types.js';
import { DAY_MS, windowMs } from './window.js';

const production = { service: 'shop', environment: 'production' };
// Four full weeks, Monday 2026-11-02 to Monday 2026-11-30 (28 days).
const window = windowMs({ from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-30T00:00:00Z') });

/** A successful deployment finishing at `hour`:00Z on the given day of the window (0 = Nov 2). */
function on(day: number, hour: number, fields: Partial<DeploymentRecord> = {}): DeploymentRecord {
  const finished = new Date(window.from + day * DAY_MS + hour * 3_600_000);
  const started = new Date(finished.getTime() - 600_000);
  return deployment(`d${day}-${hour}`, started.toISOString(), finished.toISOString(), fields);
}

const weekdays = [0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14, 15, 16, 17, 18, 21, 22, 23, 24, 25];

function frequency(records: readonly DeploymentRecord[], utcOffsetMinutes = 0) {
  return deploymentFrequency(timedDeployments(records, production), window, { utcOffsetMinutes });
}

describe('deployment frequency', () => {
  it('is daily for one deployment every weekday', () => {
    const f = frequency(weekdays.map((d) => on(d, 10)));
    // 20 deployments over 28 days: 20 / 28 per day, 5 per week; 5 deployment days every week.
    expect(f.deployments).toBe(20);
    expect(f.perDay).toBeCloseTo(20 / 28, 12);
    expect(f.perWeek).toBeCloseTo(5, 12);
    expect(f.deploymentDays).toBe(20);
    expect(f.deploymentDaysPerWeek).toBeCloseTo(5, 12);
    expect(f.medianDeploymentDaysPerWeek).toBe(5);
    expect(f.bucket).toBe('daily');
    expect(f.clusters.map((c) => c.cluster)).toEqual(['high', 'high']);
  });

  it('is on demand for several deployments on most days', () => {
    const f = frequency(weekdays.flatMap((d) => [on(d, 10), on(d, 15)]));
    // 40 deployments on 20 days: median 2 per deployment day, 5 deployment days per week.
    expect(f.perWeek).toBeCloseTo(10, 12);
    expect(f.bucket).toBe('onDemand');
    expect(f.clusters.map((c) => c.cluster)).toEqual(['elite', 'elite']);
  });

  it('is weekly for one deployment a week, monthly for one a month, fewer for none', () => {
    expect(frequency([on(2, 10), on(9, 10), on(16, 10), on(23, 10)]).bucket).toBe('weekly');
    // Weeks with a deployment day: 0, 1, 0, 0 → median 0; the one 28-day period has 1 → monthly.
    const monthly = frequency([on(9, 10)]);
    expect(monthly.medianDeploymentDaysPerWeek).toBe(0);
    expect(monthly.bucket).toBe('monthly');
    expect(monthly.clusters.map((c) => c.cluster)).toEqual(['medium', 'medium']);
    const none = frequency([]);
    expect(none).toMatchObject({ deployments: 0, perDay: 0, deploymentDays: 0, bucket: 'fewer' });
    expect(none.clusters.map((c) => c.cluster)).toEqual(['low', 'low']);
  });

  it('counts successful deployments that finished in the window, rollbacks included', () => {
    const f = frequency([
      on(1, 10),
      on(1, 11, { kind: 'rollback', planned: false, unplannedReason: 'rollback' }),
      on(2, 10, { outcome: 'failed' }),
      on(3, 10, { outcome: 'rolledBack' }),
      on(4, 10, { outcome: 'failedAnalysis' }),
      on(5, 10, { environment: 'staging' }),
      on(5, 11, { service: 'other' }),
      deployment('running', '2026-11-10T10:00:00Z', null),
      // Started before the window, finished inside: counted. Finished exactly at its end: not.
      deployment('edge-in', '2026-11-01T23:50:00Z', '2026-11-02T00:10:00Z'),
      deployment('edge-out', '2026-11-29T23:50:00Z', '2026-11-30T00:00:00Z'),
    ]);
    expect(f.deploymentIds).toEqual(['edge-in', 'd1-10', 'd1-11']);
    expect(f.rollbacks).toBe(1);
    expect(f.deploymentDays).toBe(2);
  });

  it('counts deployment days on the team’s calendar', () => {
    // 23:30 on Nov 3 at UTC−05:00 is Nov 4 04:30Z; 09:00 on Nov 4 at UTC−05:00 is Nov 4 14:00Z.
    const records = [
      deployment('a', '2026-11-03T23:20:00-05:00', '2026-11-03T23:30:00-05:00'),
      deployment('b', '2026-11-04T08:50:00-05:00', '2026-11-04T09:00:00-05:00'),
    ];
    expect(frequency(records).deploymentDays).toBe(1); // both on Nov 4 in UTC
    expect(frequency(records, -300).deploymentDays).toBe(2); // Nov 3 and Nov 4 in New York
  });

  it('uses the whole window as one week when it is shorter than a week', () => {
    const short = windowMs({ from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-05T00:00:00Z') });
    const records = [on(0, 10), on(1, 10), on(2, 10)];
    const f = deploymentFrequency(timedDeployments(records, production), short);
    // 3 deployment days in the only (3-day) period: median 3 → daily; 3 per 3 days = 1 per day.
    expect(f.bucket).toBe('daily');
    expect(f.perDay).toBe(1);
  });
});
