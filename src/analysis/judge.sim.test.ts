import { describe, expect, it } from 'vitest';
import { judgeSimulation, runSimulation, SCENARIOS, SEEDS, simulateTraffic } from './judge.sim.js';

// The figure of docs/analysis.md, with the config defaults: a healthy canary with realistic latency
// noise is promoted in 20 of 20 runs; 2% extra errors are failed in 20 of 20; a 20% latency
// regression in 19 of 20 — at the default tolerance of 15% (chosen so that identical code does not
// fail on a busy machine, bench/judge-rates.js) seed 13's canary measures +15.8% and passes. Over
// seeds 1–200: 197 of 200 (13, 48, 97 pass).

describe('the statistical judge on simulated canaries (seeds 1–20)', () => {
  it('passes every healthy canary and fails regressed ones but one', { timeout: 120_000 }, async () => {
    const rows = await runSimulation(SEEDS);
    const summary = rows.map((row) => ({
      scenario: row.scenario.name,
      right: row.right,
      wrongSeeds: row.results.filter((r) => r.result.phase !== row.scenario.expected).map((r) => r.seed),
    }));
    expect(summary).toEqual([
      { scenario: 'healthy canary', right: 20, wrongSeeds: [] },
      { scenario: '20% latency regression', right: 19, wrongSeeds: [13] },
      { scenario: '2% extra errors', right: 20, wrongSeeds: [] },
    ]);
  });

  it('does the same on latencies quantized by a router histogram (many ties)', {
    timeout: 120_000,
  }, async () => {
    const rows = await runSimulation(SEEDS, { quantize: true });
    expect(rows.map((row) => `${row.scenario.name}: ${row.right}/${row.total}`)).toEqual([
      'healthy canary: 20/20',
      '20% latency regression: 19/20',
      '2% extra errors: 20/20',
    ]);
  });

  it('fails each regression on the metric that regressed, and says so', async () => {
    const [, latency, errors] = SCENARIOS;
    if (latency === undefined || errors === undefined) throw new Error('scenarios');
    const slow = await judgeSimulation(latency, 1);
    expect(slow.message).toMatch(
      /^latencyP99: latencyP99 canary worse than baseline: typical request \+\d+\.\d% \(\+\d+\.\d+ ms\), Hodges-Lehmann; p99 canary \d+ ms vs baseline \d+ ms \(\+\d+\.\d%\); tolerance 15%, minDifference 2 ms, p=[\d.e-]+, n=\d+\/\d+ 1 time \(limit 0\)$/,
    );
    const failing = await judgeSimulation(errors, 1);
    expect(failing.metrics.map((m) => [m.name, m.phase])).toEqual([
      ['latencyP99', 'Successful'],
      ['errorRate', 'Failed'],
    ]);
  });

  it('simulates the same traffic for the same seed', () => {
    const [healthy] = SCENARIOS;
    if (healthy === undefined) throw new Error('scenarios');
    const a = simulateTraffic(healthy, 5);
    expect(simulateTraffic(healthy, 5)).toEqual(a);
    expect(simulateTraffic(healthy, 6).canary.latencies).not.toEqual(a.canary.latencies);
    expect(a.canary.latencies.length).toBeGreaterThan(2500);
    expect(a.baseline.errorRates).toHaveLength(60);
  });
});
