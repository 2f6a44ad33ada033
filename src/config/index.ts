/**
 * The config part: flowline.yaml parsed, validated (every problem at once, each with
 * file:line:col, field path and hint), normalized, and described as JSON Schema for editors.
 * Reading any text is linear in its size, within the limits of limits.ts (safe on network input).
 * Importing this module loads zod and yaml; the CLI imports it lazily.
 */
export {
  type AqlCondition,
  METHOD_METRICS,
  type MetricUnit,
  meets,
  parseAql,
  QUALITY_FORMATS,
  QUALITY_METHODS,
  type QualityMethod,
} from './aql.js';
export { type FormatOptions, formatIssues, WARNING_CODES } from './format.js';
export { CONFIG_FILE, type InitOptions, type InitResult, initConfig } from './init.js';
export { CONFIG_SCHEMA_URL, configJsonSchema, SCHEMA_FILE } from './json-schema.js';
export { MAX_CONFIG_BYTES, MAX_REPORTED, type WorkMeter } from './limits.js';
export {
  type ConfigResult,
  configOrThrow,
  loadConfig,
  loadConfigOrThrow,
  loadConfigSource,
  type ParseOptions,
  parseConfig,
} from './parse.js';
export { closest, didYouMean, listOf, shorten } from './suggest.js';
export type * from './types.js';
