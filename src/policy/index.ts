/**
 * Policy: what the server allows a service — its trunk, and per environment the gates
 * (`protected`, `after`), its host, and who may deploy there. Seeded from the first registration's
 * flowline.yaml, then changed only by an admin (docs/adr/0010-trust-model.md).
 */
export { diffPolicy, effectiveHost, policyFromConfig } from './from-config.js';
export { createPolicies, type PoliciesDeps } from './service.js';
export type * from './types.js';
