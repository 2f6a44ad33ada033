import type { DoraResult, FlowResult, MetricsRequest } from '../../metrics/index.js';
import { type HttpTarget, query, request } from './http.js';

/** Delivery metrics of the local store or a server (the `/v1/metrics` routes). */
export interface MetricsClient {
  dora(input: MetricsRequest): Promise<DoraResult>;
  flow(input: MetricsRequest): Promise<FlowResult>;
}

export function metricsCalls(target: HttpTarget): MetricsClient {
  return {
    dora: (input) => request<DoraResult>(target, 'GET', `/v1/metrics/dora${query({ ...input })}`),
    flow: (input) => request<FlowResult>(target, 'GET', `/v1/metrics/flow${query({ ...input })}`),
  };
}
