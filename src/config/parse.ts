import { open } from 'node:fs/promises';
import { type ErrorCode, FlowlineError, type Issue } from '../core/errors.js';
import { counted } from '../core/plural.js';
import { rememberSource } from './format.js';
import { MAX_CONFIG_BYTES, MAX_REPORTED, TOO_LARGE, type WorkMeter } from './limits.js';
import { normalize } from './normalize.js';
import { MORE_ERRORS, report } from './report.js';
import { checkRules } from './rules.js';
import { NOT_SUPPORTED } from './schema-common.js';
import { validateSchema } from './schema-issues.js';
import { parseSource, type RawIssue, tooLarge } from './source.js';
import { SUGGEST_CELLS, type SuggestBudget } from './suggest.js';
import type { FlowlineConfig } from './types.js';

/** The outcome of reading a config: never an exception for bad content (changesets style). */
export type ConfigResult =
  | { ok: true; config: FlowlineConfig; warnings: Issue[] }
  | { ok: false; errors: Issue[]; warnings: Issue[] };

export interface ParseOptions {
  /** Counts the work done (see limits.ts): tests bound the cost of a parse with it. */
  readonly meter?: WorkMeter;
}

/**
 * Parses and validates the text of a flowline.yaml, in three stages: YAML (limits, syntax, keys, aliases),
 * schema (types, unknown keys, ranges), rules (references, cycles). Syntax errors stop there;
 * schema and rule problems are reported together, sorted by position. Any text is read or refused
 * in time linear in its length (see limits.ts), so it is safe on text from the network.
 */
export function parseConfig(text: string, file: string, options: ParseOptions = {}): ConfigResult {
  const meter = options.meter ?? { units: 0 };
  const budget = { cells: SUGGEST_CELLS };
  try {
    return parseMetered(text, file, meter, budget);
  } finally {
    meter.units += SUGGEST_CELLS - budget.cells;
  }
}

function parseMetered(text: string, file: string, meter: WorkMeter, budget: SuggestBudget): ConfigResult {
  // The caret excerpts of formatIssues need the text; one over the limit is not kept.
  if (text.length <= MAX_CONFIG_BYTES) rememberSource(file, text);
  const source = parseSource(text, meter);
  const ctx = { source, file, meter, budget };
  if (source.errors.length > 0) {
    return {
      ok: false,
      errors: report(source.errors, 'errors', ctx, source.omitted),
      warnings: report(source.warnings, 'warnings', ctx, source.omittedWarnings),
    };
  }
  if (source.data === null || source.data === undefined) {
    const empty: RawIssue = {
      code: 'empty_file',
      message: 'the file is empty',
      path: [],
      hint: 'run `flowline init` to write a starter file, or add at least `version: 1` and `service: <name>`',
    };
    return {
      ok: false,
      errors: report([empty], 'errors', ctx),
      warnings: report(source.warnings, 'warnings', ctx, source.omittedWarnings),
    };
  }
  const schema = validateSchema(source.data);
  const rules = checkRules(source.data, { ...source, text });
  const errors = [...(schema.ok ? [] : schema.issues), ...rules.errors];
  const warnings = report([...source.warnings, ...rules.warnings], 'warnings', ctx, source.omittedWarnings);
  if (!schema.ok || errors.length > 0) return { ok: false, errors: report(errors, 'errors', ctx), warnings };
  return { ok: true, config: normalize(schema.value), warnings };
}

/**
 * Reads and parses a config file. Throws only when the file cannot be read:
 * FLOWLINE_CONFIG_NOT_FOUND or FLOWLINE_CONFIG_UNREADABLE. `shown` is the name used in issues
 * and messages (e.g. relative to the working directory); default: `file`.
 */
export async function loadConfig(file: string, shown: string = file): Promise<ConfigResult> {
  const read = await readConfigText(file, shown);
  return 'refused' in read ? read.refused : parseConfig(read.text, shown);
}

/**
 * Reads a config file's text, or the result refusing a file over the size limit;
 * FLOWLINE_CONFIG_NOT_FOUND or FLOWLINE_CONFIG_UNREADABLE.
 */
async function readConfigText(
  file: string,
  shown: string,
): Promise<{ readonly text: string } | { readonly refused: ConfigResult }> {
  let text: string;
  try {
    const handle = await open(file, 'r');
    try {
      // A file over the limit is refused by its size, never read into memory.
      const { size } = await handle.stat();
      if (size > MAX_CONFIG_BYTES) {
        const issue: Issue = { ...tooLarge(size), file: shown, line: 1, column: 1 };
        return { refused: { ok: false, errors: [issue], warnings: [] } };
      }
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new FlowlineError('FLOWLINE_CONFIG_NOT_FOUND', `${shown} does not exist`, {
        hint: 'run `flowline init` to write a starter flowline.yaml',
        location: { file: shown },
        cause: error,
      });
    }
    const reason = code === 'EISDIR' ? 'it is a directory' : (code ?? String(error));
    throw new FlowlineError('FLOWLINE_CONFIG_UNREADABLE', `cannot read ${shown}: ${reason}`, {
      hint: code === 'EACCES' ? 'check the file permissions' : 'give the path of a readable flowline.yaml',
      location: { file: shown },
      cause: error,
    });
  }
  return { text };
}

/**
 * Like {@link loadConfig}, but throws FLOWLINE_CONFIG_TOO_LARGE, FLOWLINE_CONFIG_YAML,
 * FLOWLINE_NOT_SUPPORTED or FLOWLINE_CONFIG_INVALID with every problem in `issues`. Warnings are
 * dropped; use loadConfig to show them.
 */
export async function loadConfigOrThrow(file: string, shown: string = file): Promise<FlowlineConfig> {
  return (await loadConfigSource(file, shown)).config;
}

/**
 * Like {@link loadConfigOrThrow}, with the text that was parsed: what `flowline run` seals into
 * the artifact is exactly what it validated (read once).
 */
export async function loadConfigSource(
  file: string,
  shown: string = file,
): Promise<{ config: FlowlineConfig; text: string }> {
  const read = await readConfigText(file, shown);
  if ('refused' in read) return { config: configOrThrow(read.refused, shown), text: '' };
  return { config: configOrThrow(parseConfig(read.text, shown), shown), text: read.text };
}

/** The config of a parse result, or FLOWLINE_CONFIG_YAML / FLOWLINE_CONFIG_INVALID with every problem. */
export function configOrThrow(result: ConfigResult, shown: string): FlowlineConfig {
  if (result.ok) return result.config;
  const { errors } = result;
  const first = errors[0];
  const code = errorCodeOf(errors);
  const problems =
    errors.at(-1)?.code === MORE_ERRORS
      ? `more than ${MAX_REPORTED} problems`
      : counted(errors.length, 'problem');
  throw new FlowlineError(
    code,
    `${problems} in ${shown}${code === 'FLOWLINE_CONFIG_YAML' ? ' (not valid YAML)' : ''}`,
    {
      ...(first?.hint === undefined ? {} : { hint: first.hint }),
      location: { file: shown, ...(first ? { line: first.line, column: first.column } : {}) },
      issues: errors,
    },
  );
}

/**
 * The one code for a refused file: over a limit, then not YAML, then using only what is not
 * supported yet (the CLI exits 7: not a mistake in the file, a feature to wait for), else invalid.
 */
function errorCodeOf(errors: readonly Issue[]): ErrorCode {
  if (errors.some((issue) => issue.code === TOO_LARGE)) return 'FLOWLINE_CONFIG_TOO_LARGE';
  if (errors.some((issue) => issue.code.startsWith('yaml_'))) return 'FLOWLINE_CONFIG_YAML';
  if (errors.every((issue) => issue.code === NOT_SUPPORTED)) return 'FLOWLINE_NOT_SUPPORTED';
  return 'FLOWLINE_CONFIG_INVALID';
}
