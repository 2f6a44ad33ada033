import type { Value } from '../expr/index.js';
import type { MeasureContext, Measurement, MetricOf, MetricProvider } from '../types.js';
import {
  type Fetch,
  fetchFailure,
  fillTemplate,
  namesRevision,
  promqlString,
  readText,
  safeUrl,
} from './http.js';

/**
 * Instant queries against the Prometheus HTTP API (`/api/v1/query`). A vector with one sample is a
 * number; several samples are a list of numbers (`result[0]`, `max(result)`); an empty vector is
 * no data, never zero. A query naming `{{revision}}` is run again with the stable revision when a
 * condition reads `baseline`.
 */

export interface PrometheusProviderOptions {
  readonly fetch?: Fetch;
  /** Largest answer read; default 4 MiB. */
  readonly maxBytes?: number;
}

interface ApiAnswer {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: unknown };
}

export function createPrometheusProvider(
  options: PrometheusProviderOptions = {},
): MetricProvider<'prometheus'> {
  const fetcher: Fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;

  async function query(
    metric: MetricOf<'prometheus'>,
    revision: string,
    ctx: MeasureContext,
  ): Promise<Measurement> {
    const { address, headers } = metric.provider;
    const filled = fillTemplate(
      metric.provider.query,
      { service: ctx.service, environment: ctx.environment, revision },
      promqlString,
    );
    if (!filled.ok) return { kind: 'error', message: `prometheus: ${filled.message}` };
    const url = `${address.replace(/\/+$/, '')}/api/v1/query?${new URLSearchParams({ query: filled.text })}`;
    let response: Response;
    let text: string;
    try {
      response = await fetcher(url, {
        method: 'GET',
        headers: { accept: 'application/json', ...headers },
        signal: ctx.signal,
      });
      text = await readText(response, maxBytes);
    } catch (error) {
      return {
        kind: 'error',
        message: `prometheus at ${safeUrl(address)}: ${fetchFailure(error, ctx.signal)}`,
      };
    }
    let answer: ApiAnswer;
    try {
      answer = JSON.parse(text) as ApiAnswer;
    } catch {
      return {
        kind: 'error',
        message: `prometheus at ${safeUrl(address)} answered HTTP ${response.status} with something that is not JSON`,
      };
    }
    if (answer.status !== 'success') {
      const reason = answer.error ?? `HTTP ${response.status}`;
      return {
        kind: 'error',
        message: `prometheus refused \`${filled.text}\`: ${answer.errorType ? `${answer.errorType}: ` : ''}${reason}`,
      };
    }
    return toMeasurement(answer.data, filled.text);
  }

  return {
    async measure(metric, ctx) {
      const canary = await query(metric, ctx.canaryRevision, ctx);
      if (canary.kind !== 'value' || !ctx.wantBaseline) return canary;
      if (!namesRevision(metric.provider.query)) {
        return {
          kind: 'error',
          message:
            'prometheus: the condition reads `baseline`, but the query has no `{{revision}}` to measure it with',
        };
      }
      if (ctx.baselineRevision === undefined)
        return { kind: 'noData', reason: 'there is no baseline revision to compare with' };
      const baseline = await query(metric, ctx.baselineRevision, ctx);
      if (baseline.kind === 'noData')
        return { kind: 'noData', reason: `baseline ${ctx.baselineRevision}: ${baseline.reason}` };
      if (baseline.kind === 'error') return baseline;
      return { ...canary, baseline: baseline.value };
    },
  };
}

function toMeasurement(data: ApiAnswer['data'], query: string): Measurement {
  const type = data?.resultType;
  const result = data?.result;
  if (type === 'scalar' || type === 'string') {
    const raw = Array.isArray(result) ? result[1] : undefined;
    return { kind: 'value', value: type === 'scalar' ? sampleValue(raw) : String(raw) };
  }
  if (type === 'vector' && Array.isArray(result)) {
    if (result.length === 0)
      return { kind: 'noData', reason: `Prometheus returned no samples for \`${query}\`` };
    const values: Value[] = result.map((sample: { value?: unknown[] }) => sampleValue(sample?.value?.[1]));
    return {
      kind: 'value',
      value: values.length === 1 ? (values[0] ?? null) : values,
      samples: { canary: values.length },
    };
  }
  if (type === 'matrix') {
    return {
      kind: 'error',
      message:
        'prometheus: the query returns a range vector; use an instant query, e.g. wrap it in `rate(…)` or drop the `[5m]`',
    };
  }
  return { kind: 'error', message: `prometheus: unexpected result type \`${String(type)}\`` };
}

/** Prometheus writes sample values as strings, including `NaN`, `+Inf` and `-Inf`. */
function sampleValue(raw: unknown): number {
  if (raw === '+Inf' || raw === 'Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  return typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : Number.NaN;
}
