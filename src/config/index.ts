/**
 * The config part: flowline.yaml parsed, validated (every problem at once, each with
 * file:line:col, field path and hint), normalized, and described as JSON Schema for editors.
 * Importing this module loads zod and yaml; the CLI imports it lazily.
 */
export { type FormatOptions, formatIssues, WARNING_CODES } from './format.js';
export { CONFIG_FILE, type InitOptions, type InitResult, initConfig } from './init.js';
export { CONFIG_SCHEMA_URL, configJsonSchema, SCHEMA_FILE } from './json-schema.js';
export {
  type ConfigResult,
  configOrThrow,
  loadConfig,
  loadConfigOrThrow,
  loadConfigSource,
  parseConfig,
} from './parse.js';
export type * from './types.js';
