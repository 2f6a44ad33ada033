import { createHash } from 'node:crypto';
import type { AlertNotification } from './types.js';

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
