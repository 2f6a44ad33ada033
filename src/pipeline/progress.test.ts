import { describe, expect, it } from 'vitest';
import { renderSummary } from './progress.js';
import type { RunReport } from './types.js';

const report = (history: NonNullable<RunReport['history']> | null): RunReport => ({
  runId: 'run_1',
  service: 'shop',
  status: 'succeeded',
  commit: null,
  where: { host: 'ci' },
  artifact: null,
  only: null,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  durationMs: 1000,
  stages: [],
  history,
});

describe('the run summary', () => {
  it('says when the commit history it recorded is incomplete, and nothing when it is whole', () => {
    const head = 'a'.repeat(40);
    expect(
      renderSummary(report({ head, commits: 1, truncated: false, shallow: true }), new Map(), false),
    ).toContain(
      'history: a shallow clone; lead times start at its oldest commit (fetch it all: fetch-depth: 0)',
    );
    expect(
      renderSummary(report({ head, commits: 1000, truncated: true, shallow: false }), new Map(), false),
    ).toContain('history: the first 1000 commits recorded; older ones were not read');
    const whole = renderSummary(
      report({ head, commits: 3, truncated: false, shallow: false }),
      new Map(),
      false,
    );
    expect(whole).not.toContain('history');
    expect(renderSummary(report(null), new Map(), false)).toBe(whole);
  });
});
