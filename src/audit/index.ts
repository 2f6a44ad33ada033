/** The audit trail: append-only, hash-chained, secrets redacted; plus who and where detection. */
export { canonicalJson, GENESIS_HASH } from './canonical.js';
export { createAuditLog } from './log.js';
export { REDACTED, redactSecrets, scrubSecrets } from './redact.js';
export type * from './types.js';
export { type CiInfo, detectActor, detectCi, detectWhere, type Env } from './where.js';
