import type { Actor, Where } from '../audit/index.js';

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

/** How an incident came to be opened. Only `manual` is opened by hand or through the API today. */
export type IncidentSource = 'manual' | 'analysis' | 'rollback' | 'flagTrigger' | 'alert' | 'imported';

/** The change that caused an incident: by record, or inferred as the last one before it. */
export interface IncidentCause {
  readonly kind: 'deployment' | 'flagChange';
  readonly id: string;
  /** True when nothing recorded the link: the last change to the environment before it opened. */
  readonly inferred: boolean;
}

/** A problem users had in one environment of a service, from opened to resolved. */
export interface Incident {
  readonly id: string;
  readonly service: string;
  readonly environment: string;
  readonly title: string;
  readonly source: IncidentSource;
  readonly status: IncidentStatus;
  readonly openedAt: string;
  readonly openedBy: string;
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
  readonly resolvedAt: string | null;
  readonly resolvedBy: string | null;
  readonly resolution: string | null;
  /** Null when no deployment or flag change came before it. */
  readonly cause: IncidentCause | null;
}

export interface OpenIncident {
  readonly service: string;
  readonly environment: string;
  readonly title: string;
  /** A deployment (`dep_…`) known to have caused it; default: the last change before it, inferred. */
  readonly deployment?: string;
}

/** Who acts, for the audit trail. */
export interface IncidentActor {
  readonly actor: Actor;
  readonly where: Where;
}

export interface IncidentFilter {
  readonly service?: string;
  readonly environment?: string;
  /** Default `unresolved` (open or acknowledged). */
  readonly status?: IncidentStatus | 'unresolved' | 'all';
  /** Newest first; default 100, at most 1000. */
  readonly limit?: number;
}

/**
 * Incidents: opened, acknowledged and resolved by people (and, later, by Flowline itself when a
 * release fails its analysis or a trigger degrades a flag). Each change is audited.
 */
export interface Incidents {
  open(input: OpenIncident, by: IncidentActor): Promise<Incident>;
  /** Someone is on it. FLOWLINE_INCIDENT_RESOLVED once resolved; acknowledging twice is a no-op. */
  acknowledge(id: string, by: IncidentActor): Promise<Incident>;
  /** Closes the interval recovery time is measured over. FLOWLINE_INCIDENT_RESOLVED the second time. */
  resolve(id: string, resolution: string | undefined, by: IncidentActor): Promise<Incident>;
  get(id: string): Promise<Incident>;
  list(filter?: IncidentFilter): Promise<Incident[]>;
}
