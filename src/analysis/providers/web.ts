import { parseJsonPath, readJsonPath, type Value } from '../expr/index.js';
import type { MeasureContext, Measurement, MetricOf, MetricProvider } from '../types.js';
import {
  type Fetch,
  fetchFailure,
  fillTemplate,
  jsonString,
  namesRevision,
  readText,
  safeUrl,
} from './http.js';

/**
 * A web check: an HTTP GET or POST whose answer (JSON, or text) is the measurement, or the value
 * at `jsonPath` in it. A path that matches nothing is no data; a non-2xx answer is an error.
 * Placeholders `{{service}}`, `{{environment}}`, `{{revision}}` are filled in the URL
 * (URI-encoded) and in the body (JSON-string escaped); when a condition reads `baseline`, a check
 * naming `{{revision}}` is made again for the stable revision.
 */

export interface WebProviderOptions {
  readonly fetch?: Fetch;
  /** Largest answer read; default 1 MiB. */
  readonly maxBytes?: number;
}

export function createWebProvider(options: WebProviderOptions = {}): MetricProvider<'web'> {
  const fetcher: Fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  async function request(
    metric: MetricOf<'web'>,
    revision: string,
    ctx: MeasureContext,
  ): Promise<Measurement> {
    const { provider } = metric;
    const vars = { service: ctx.service, environment: ctx.environment, revision };
    const url = fillTemplate(provider.url, vars, encodeURIComponent);
    const body = provider.body === undefined ? undefined : fillTemplate(provider.body, vars, jsonString);
    if (!url.ok) return { kind: 'error', message: `web: ${url.message}` };
    if (body !== undefined && !body.ok) return { kind: 'error', message: `web: ${body.message}` };
    const path = provider.jsonPath === undefined ? undefined : parseJsonPath(provider.jsonPath);
    if (path !== undefined && !path.ok)
      return { kind: 'error', message: `web: \`jsonPath\` ${path.error.message}` };
    let status: number;
    let text: string;
    try {
      const response = await fetcher(url.text, {
        method: provider.method,
        headers: provider.headers,
        ...(body === undefined ? {} : { body: body.text }),
        signal: ctx.signal,
      });
      status = response.status;
      text = await readText(response, maxBytes);
    } catch (error) {
      return { kind: 'error', message: `web ${safeUrl(url.text)}: ${fetchFailure(error, ctx.signal)}` };
    }
    if (status < 200 || status > 299)
      return { kind: 'error', message: `web ${safeUrl(url.text)}: HTTP ${status}` };
    let data: unknown;
    let json = true;
    try {
      data = JSON.parse(text);
    } catch {
      data = text.trim();
      json = false;
    }
    if (path === undefined) return { kind: 'value', value: data as Value };
    if (!json)
      return {
        kind: 'error',
        message: `web ${safeUrl(url.text)}: the answer is not JSON, so \`${provider.jsonPath}\` cannot read it`,
      };
    const found = readJsonPath(data, path.segments);
    if (!found.found)
      return {
        kind: 'noData',
        reason: `\`${provider.jsonPath}\` matched nothing in the answer of ${safeUrl(url.text)}`,
      };
    return { kind: 'value', value: found.value as Value };
  }

  return {
    async measure(metric, ctx) {
      const canary = await request(metric, ctx.canaryRevision, ctx);
      if (canary.kind !== 'value' || !ctx.wantBaseline) return canary;
      const { url, body } = metric.provider;
      if (!namesRevision(url) && !namesRevision(body ?? '')) {
        return {
          kind: 'error',
          message:
            'web: the condition reads `baseline`, but the URL and body have no `{{revision}}` to measure it with',
        };
      }
      if (ctx.baselineRevision === undefined)
        return { kind: 'noData', reason: 'there is no baseline revision to compare with' };
      const baseline = await request(metric, ctx.baselineRevision, ctx);
      if (baseline.kind === 'noData')
        return { kind: 'noData', reason: `baseline ${ctx.baselineRevision}: ${baseline.reason}` };
      if (baseline.kind === 'error') return baseline;
      return { ...canary, baseline: baseline.value };
    },
  };
}
