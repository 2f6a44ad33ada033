import { describe, expect, it } from 'vitest';
import type { DeploymentRow } from '../store/index.js';
import { outcomeOf } from './outcome.js';

// Each row of the table in outcome.ts's comment and docs/metrics.md, written out by hand.
const at = '2026-11-03T10:15:00Z';
const row = (status: DeploymentRow['status'], served_at: string | null, failed_analysis: number) => ({
  status,
  served_at,
  failed_analysis,
});

describe('outcomeOf', () => {
  it.each([
    ['pending', null, 0, 'running'],
    ['running', at, 0, 'running'],
    ['running', at, 1, 'running'],
    ['succeeded', at, 0, 'succeeded'],
    ['succeeded', null, 0, 'succeeded'],
    // Completed, then replaced by a rollback deployment: it did run; the rollback shows the failure.
    ['rolled_back', at, 0, 'succeeded'],
    ['failed', null, 0, 'failed'],
    // Its pre-promotion analysis failed before it took any traffic: it changed nothing users saw.
    ['failed', null, 1, 'failed'],
    ['failed', at, 1, 'failedAnalysis'],
    ['failed', at, 0, 'rolledBack'],
    ['cancelled', null, 0, 'failed'],
    ['cancelled', at, 1, 'rolledBack'],
  ] as const)('%s, served %s, failed analysis %s: %s', (status, served, failed, expected) => {
    expect(outcomeOf(row(status, served, failed))).toBe(expected);
  });

  it('reads a whole row as selected', () => {
    const full = { ...row('failed', at, 1), id: 'dep_1', reason: 'x' } as unknown as DeploymentRow;
    expect(outcomeOf(full)).toBe('failedAnalysis');
  });
});
