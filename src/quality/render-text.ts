import { METHOD_METRICS, type MetricUnit } from '../config/index.js';
import { formatDuration } from '../core/time.js';
import type { Assessment, Evidence } from './types.js';

/**
 * Words and figures shared by the Markdown and HTML reports, as plain text (each renderer escapes
 * it for its own format).
 */

/** A measured value in its metric's unit: `62.5%`, `15%` for a share, `1d 2h`, `3`. */
export function formatValue(method: Assessment['method'], metric: string, value: number): string {
  const unit: MetricUnit | undefined = METHOD_METRICS[method][metric];
  switch (unit) {
    case 'percent':
      return `${round(value)}%`;
    case 'share':
      return `${round(value * 100)}%`;
    case 'duration':
      return formatDuration(Math.round(value / 1000) * 1000);
    default:
      return String(round(value));
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The measured figures the AQL names (else all of them), as `lines 62.5%, branches 25%`. */
export function measuredText(a: Assessment): string {
  const named = new Set(a.conditions.map((c) => c.metric));
  const entries = Object.entries(a.measured).filter(([metric]) => named.size === 0 || named.has(metric));
  if (entries.length === 0) return '—';
  return entries.map(([metric, value]) => `${metric} ${formatValue(a.method, metric, value)}`).join(', ');
}

/** The evidence as labelled lines: what a reader needs to find and check each record. */
export function evidenceLines(evidence: Evidence): [string, string][] {
  const lines: [string, string][] = [];
  const push = (label: string, value: string | null | undefined) => {
    if (value !== undefined && value !== null && value !== '') lines.push([label, value]);
  };
  push(
    'run',
    evidence.runId === undefined ? undefined : `${evidence.runId} (started ${evidence.runStartedAt})`,
  );
  push('branch', evidence.branch);
  push('commit', evidence.commitSha);
  push('artifact', evidence.artifactId);
  push('stage', evidence.stage);
  push('file', evidence.file);
  push('file sha256', evidence.sha256);
  for (const [file, sum] of Object.entries(evidence.files ?? {})) push(`file ${file}`, sum ?? 'missing');
  if (evidence.signoff !== undefined) {
    const s = evidence.signoff;
    push(
      'signed off',
      `${s.verdict} by ${s.signedBy} for ${s.period}, recorded by ${s.recordedBy} at ${s.recordedAt}`,
    );
  }
  if (evidence.signoff === undefined && evidence.ids !== undefined) {
    push('records', evidence.ids.length === 0 ? 'none in the period' : evidence.ids.join(', '));
  }
  return lines;
}

export const VERDICT_TEXT = { pass: 'PASS', fail: 'FAIL', 'no data': 'NO DATA' } as const;
