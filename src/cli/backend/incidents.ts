import type { Incident, IncidentFilter, OpenIncident } from '../../incidents/index.js';
import { type HttpTarget, query, request } from './http.js';

/** Incidents on the local store or a server (the `/v1/incidents` routes). */
export interface IncidentClient {
  open(input: OpenIncident): Promise<Incident>;
  acknowledge(id: string): Promise<Incident>;
  resolve(id: string, resolution?: string): Promise<Incident>;
  list(filter: IncidentFilter): Promise<Incident[]>;
}

export function incidentCalls(target: HttpTarget): IncidentClient {
  const enc = encodeURIComponent;
  return {
    open: async (input) =>
      (await request<{ incident: Incident }>(target, 'POST', '/v1/incidents', input)).incident,
    acknowledge: async (id) =>
      (await request<{ incident: Incident }>(target, 'POST', `/v1/incidents/${enc(id)}/ack`, {})).incident,
    resolve: async (id, resolution) =>
      (
        await request<{ incident: Incident }>(
          target,
          'POST',
          `/v1/incidents/${enc(id)}/resolve`,
          resolution === undefined ? {} : { resolution },
        )
      ).incident,
    list: async (filter) =>
      (await request<{ incidents: Incident[] }>(target, 'GET', `/v1/incidents${query(filter)}`)).incidents,
  };
}
