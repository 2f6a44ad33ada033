/**
 * The audit trail: append-only, hash-chained, secrets redacted, anchored by heads saved outside
 * the store; plus who and where detection.
 */
export {
  ANCHOR_INTERVAL_MS,
  type AnchorWriter,
  type AnchorWriterDeps,
  createAnchorWriter,
  MAX_HEADS_PER_REQUEST,
  parseAnchorFile,
  parseHead,
  readAnchorFile,
} from './anchor.js';
export { canonicalJson, GENESIS_HASH } from './canonical.js';
export { createAuditLog } from './log.js';
export { REDACTED, redactSecrets, scrubSecrets } from './redact.js';
export type * from './types.js';
export { type CiInfo, detectActor, detectCi, detectWhere, type Env } from './where.js';
