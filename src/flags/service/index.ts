/**
 * Flags on the server: stored per service and environment (with versions, ETags and history),
 * changed in audited transactions, served compiled from memory, streamed to subscribers,
 * evaluated and counted, and killed automatically by triggers. docs/flags.md, "On the server".
 */

export { etagMatches } from './changes.js';
export { desiredFlags, managedEnvironments } from './desired.js';
export { eventOf, FlagStreamHub, type StreamSink } from './hub.js';
export {
  type EntryChange,
  type EnvironmentPlan,
  type FieldDiff,
  type FlagPlan,
  hasChanges,
  planCounts,
  planEnvironment,
} from './plan.js';
export { KILL_ON_ROLLBACK, killOnRollback, ROLLBACK_EVENTS } from './rollback.js';
export { createFlagService, type FlagServiceDeps, type FlagServiceInternals } from './service.js';
export { MAX_WEBHOOK_AGE_MS, signWebhook } from './signature.js';
export { findStale, type StaleFlag, type StaleOptions, settledVariant } from './stale.js';
export { type AlertmanagerNotification, createFlagTriggers, type FlagTriggers } from './triggers.js';
export type * from './types.js';
