/**
 * The artifact store: immutable, content-addressed (sha256) bundles of a build's output, kept
 * in a local folder. Promotion moves a reference to one; nothing is rebuilt.
 */
export { findArtifactByCacheKey, referencedArtifacts } from './queries.js';
export { resolveStoredDigest } from './resolve.js';
export { readSealedConfig, SEALED_CONFIG, SEALED_DIR } from './sealed.js';
export { type ArtifactStoreDeps, createArtifactStore } from './store.js';
export { ARTIFACT_MEDIA_TYPE } from './transfer.js';
export type * from './types.js';
