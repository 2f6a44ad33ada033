import type { QualityReport, Signoff, SignoffInput } from '../../quality/index.js';
import { type HttpTarget, query, request } from './http.js';

/** The period as asked for: checked by the caller, read by whoever assesses (here or the server). */
export interface PeriodInput {
  readonly period?: string;
  readonly from?: string;
  readonly to?: string;
}

/** The quality plan's report and sign-offs on the local store or a server. */
export interface QualityClient {
  report(service: string, period: PeriodInput): Promise<QualityReport>;
  signoff(input: SignoffInput): Promise<Signoff>;
}

export function qualityCalls(target: HttpTarget): QualityClient {
  return {
    report: async (service, period) =>
      (
        await request<{ report: QualityReport }>(
          target,
          'GET',
          `/v1/reports/quality${query({ service, ...period })}`,
        )
      ).report,
    signoff: async (input) =>
      (await request<{ signoff: Signoff }>(target, 'POST', '/v1/reports/quality/signoffs', input)).signoff,
  };
}
