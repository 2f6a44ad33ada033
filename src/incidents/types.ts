import type { Actor, Where } from '../audit/index.js';
import type { WriteTx } from '../store/index.js';

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

/**
 * How an incident came to be opened: `manual` by a person (CLI or API); `analysis`, `rollback`,
 * `flagTrigger` and `alert` by Flowline itself (see {@link AutomaticIncident}); `imported` from history.
 */
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

/**
 * An incident Flowline opens by itself, in the transaction that records the failure it stands for
 * (a deployment given up on, a flag killed by a trigger, an alert), so neither exists without the
 * other.
 */
export interface AutomaticIncident {
  readonly service: string;
  readonly environment: string;
  readonly title: string;
  readonly source: Exclude<IncidentSource, 'manual' | 'imported'>;
  /**
   * What it stands for: `deployment:<id>`, `trigger:<service>/<environment>/<name>`,
   * `alert:<service>/<environment>/<group>`. While an incident with this key is unresolved no other
   * opens; with `once`, none opens again after it is resolved either (a deployment fails once; an
   * alert may fire again later).
   */
  readonly key: string;
  readonly once: boolean;
  /** The change Flowline knows caused it (not inferred); absent: the last change before it, inferred. */
  readonly cause?: { readonly kind: IncidentCause['kind']; readonly id: string };
  /** Shown in the audit entry beside the cause (the analysis' reason, the alert's name). */
  readonly details?: Readonly<Record<string, unknown>>;
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
 * Incidents: opened, acknowledged and resolved by people, and opened (and for alerts resolved) by
 * Flowline itself when a release fails its analysis, the controller rolls a release back, a
 * trigger kills a flag or an alert fires. Each change is audited.
 */
export interface Incidents {
  open(input: OpenIncident, by: IncidentActor): Promise<Incident>;
  /**
   * Opens an automatic incident inside `tx`, the caller's transaction that records the failure.
   * Undefined when one already stands for `input.key` (see {@link AutomaticIncident.key}): a
   * failure handled twice (a restarted controller, a repeated alert) opens one incident; undefined
   * too when the catalog has no such environment (flags served to an app Flowline does not deploy).
   */
  openAutomatic(input: AutomaticIncident, by: IncidentActor, tx: WriteTx): Promise<Incident | undefined>;
  /** Resolves the unresolved incident standing for `key` inside `tx`; undefined when there is none. */
  resolveAutomatic(
    key: string,
    resolution: string,
    by: IncidentActor,
    tx: WriteTx,
  ): Promise<Incident | undefined>;
  /** Someone is on it. FLOWLINE_INCIDENT_RESOLVED once resolved; acknowledging twice is a no-op. */
  acknowledge(id: string, by: IncidentActor): Promise<Incident>;
  /** Closes the interval recovery time is measured over. FLOWLINE_INCIDENT_RESOLVED the second time. */
  resolve(id: string, resolution: string | undefined, by: IncidentActor): Promise<Incident>;
  /**
   * Opens an incident when an alert group fires in an environment (key: {@link alertKey}), and
   * resolves it when the group resolves. While it is unresolved, a repeated notification
   * (Alertmanager re-sends every `repeat_interval`) opens nothing, nor does one whose trigger
   * already opened the group's incident by killing a flag. The cause is inferred.
   */
  alert(input: {
    readonly service: string;
    readonly environment: string;
    readonly notification: AlertNotification;
    readonly key: string;
    readonly where: Where;
  }): Promise<AlertOutcome>;
  get(id: string): Promise<Incident>;
  list(filter?: IncidentFilter): Promise<Incident[]>;
}

/** The part of an Alertmanager webhook (version 4) an incident is made from. */
export interface AlertNotification {
  readonly status: 'firing' | 'resolved';
  /** Alertmanager's key of the alert group: one incident per group, as its PagerDuty receiver keys. */
  readonly groupKey?: string | undefined;
  readonly receiver?: string | undefined;
  readonly groupLabels?: Readonly<Record<string, string>> | undefined;
  readonly commonLabels?: Readonly<Record<string, string>> | undefined;
  readonly commonAnnotations?: Readonly<Record<string, string>> | undefined;
  readonly alerts: readonly { readonly status: string; readonly labels: Readonly<Record<string, string>> }[];
}

/** What an alert notification did to the incidents of its environment. */
export interface AlertOutcome {
  /**
   * `opened`: a new incident; `open`: one already stood for the group (a repeat, or a trigger's);
   * `resolved`: the group's incident was resolved; `none`: nothing to resolve, or an environment
   * the catalog does not know.
   */
  readonly action: 'opened' | 'open' | 'resolved' | 'none';
  readonly incident: Incident | null;
}
