import { createHash } from 'node:crypto';
import type { Incident } from './types.js';

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

/**
 * The incident key of an alert group in one environment: `alert:<service>/<environment>/<hash>` of
 * Alertmanager's `groupKey`, or, without one, of the receiver and group labels it is made from.
 * Every notification of the group (repeats, resolution) gives the same key.
 */
export function alertKey(service: string, environment: string, notification: AlertNotification): string {
  const group =
    notification.groupKey ??
    `${notification.receiver ?? ''}:${JSON.stringify(Object.entries(notification.groupLabels ?? {}).sort())}`;
  const hash = createHash('sha256').update(group).digest('hex').slice(0, 16);
  return `alert:${service}/${environment}/${hash}`;
}

/** The alert's name: `alertname` of the group, else of its first alert, else `alert`. */
export function alertName(notification: AlertNotification): string {
  return (
    notification.commonLabels?.alertname ??
    notification.groupLabels?.alertname ??
    notification.alerts[0]?.labels.alertname ??
    'alert'
  );
}
