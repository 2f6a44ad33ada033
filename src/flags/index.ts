/**
 * Feature flags: the evaluation engine (compile a flag set once, evaluate it many times, pure and
 * browser-safe), flowline.yaml's flags as a flag set, and migration from and to flagd and Unleash.
 * docs/flags.md describes the model; ADR 0005 the engine's design.
 */
export * from './engine/index.js';
export { compileFlagSetOrThrow, importedOrThrow } from './errors.js';
export { exportFlagd, type FlagdExport } from './flagd/export.js';
export { importFlagd } from './flagd/import.js';
export { fromConfig } from './from-config.js';
export { keepCompilable } from './import-check.js';
export type { ImportedFlagNote, ImportResult } from './migration.js';
export { importUnleash } from './unleash/import.js';
