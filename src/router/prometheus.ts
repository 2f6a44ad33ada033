/**
 * Prometheus text exposition (format 0.0.4) of the router's totals; the server mounts it at
 * `/metrics`. Counters and histograms are cumulative since each revision first served.
 */
import { PROMETHEUS_BOUNDS_S, type RevisionSignals, STATUS_CLASSES } from './signals.js';

/** Extra gauges: requests in flight per instance. */
export interface InstanceGauge {
  readonly service: string;
  readonly environment: string;
  readonly revision: string;
  readonly instance: string;
  readonly inFlight: number;
}

/** Renders the text exposition of the given revisions and instances. */
export function renderPrometheus(
  revisions: Iterable<RevisionSignals>,
  instances: readonly InstanceGauge[],
): string {
  const requests: string[] = [];
  const aborted: string[] = [];
  const retried: string[] = [];
  const duration: string[] = [];
  for (const rs of revisions) {
    const base = `service="${esc(rs.service)}",environment="${esc(rs.environment)}",revision="${esc(rs.revision)}"`;
    const t = rs.totals;
    STATUS_CLASSES.forEach((cls, i) => {
      requests.push(`flowline_router_requests_total{${base},code_class="${cls}"} ${t.counts[i] ?? 0}`);
    });
    aborted.push(`flowline_router_aborted_total{${base}} ${t.counts[5] ?? 0}`);
    retried.push(`flowline_router_retries_total{${base}} ${t.counts[6] ?? 0}`);
    let cumulative = 0;
    PROMETHEUS_BOUNDS_S.forEach((le, i) => {
      cumulative += t.buckets[i] ?? 0;
      duration.push(`flowline_router_request_duration_seconds_bucket{${base},le="${le}"} ${cumulative}`);
    });
    cumulative += t.buckets[PROMETHEUS_BOUNDS_S.length] ?? 0;
    duration.push(`flowline_router_request_duration_seconds_bucket{${base},le="+Inf"} ${cumulative}`);
    duration.push(`flowline_router_request_duration_seconds_sum{${base}} ${t.sumUs / 1e6}`);
    duration.push(`flowline_router_request_duration_seconds_count{${base}} ${cumulative}`);
  }
  const gauges = instances.map(
    (g) =>
      `flowline_router_in_flight{service="${esc(g.service)}",environment="${esc(g.environment)}",` +
      `revision="${esc(g.revision)}",instance="${esc(g.instance)}"} ${g.inFlight}`,
  );
  return [
    family(
      'flowline_router_requests_total',
      'counter',
      'Requests answered, by revision and status class.',
      requests,
    ),
    family(
      'flowline_router_aborted_total',
      'counter',
      'Requests the client abandoned before the answer ended.',
      aborted,
    ),
    family('flowline_router_retries_total', 'counter', 'Attempts retried on another instance.', retried),
    family(
      'flowline_router_request_duration_seconds',
      'histogram',
      'Time from request received to the last byte from the instance.',
      duration,
    ),
    family('flowline_router_in_flight', 'gauge', 'Requests in flight per instance.', gauges),
  ].join('');
}

function family(name: string, type: string, help: string, lines: readonly string[]): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.map((l) => `${l}\n`).join('')}`;
}

/** Escapes a label value: backslash, double quote and newline. */
function esc(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}
