import { readFile } from 'node:fs/promises';
import { FlowlineError, type Issue } from '../core/errors.js';
import { rememberSource } from './format.js';
import { normalize } from './normalize.js';
import { checkRules } from './rules.js';
import { validateSchema } from './schema-issues.js';
import { locate, parseSource, type RawIssue, type Source } from './source.js';
import type { FlowlineConfig } from './types.js';

/** The outcome of reading a config: never an exception for bad content (changesets style). */
export type ConfigResult =
  | { ok: true; config: FlowlineConfig; warnings: Issue[] }
  | { ok: false; errors: Issue[]; warnings: Issue[] };

/**
 * Parses and validates the text of a flowline.yaml, in three stages: YAML (syntax, duplicate keys),
 * schema (types, unknown keys, ranges), rules (references, cycles). Syntax errors stop there;
 * schema and rule problems are reported together, sorted by position.
 */
export function parseConfig(text: string, file: string): ConfigResult {
  rememberSource(file, text);
  const source = parseSource(text);
  const place = (issues: readonly RawIssue[]): Issue[] =>
    sortIssues(issues.map((raw) => toIssue(raw, source, file)));
  if (source.errors.length > 0) {
    return { ok: false, errors: place(source.errors), warnings: place(source.warnings) };
  }
  if (source.data === null || source.data === undefined) {
    const empty: RawIssue = {
      code: 'empty_file',
      message: 'the file is empty',
      path: [],
      hint: 'run `flowline init` to write a starter file, or add at least `version: 1` and `service: <name>`',
    };
    return { ok: false, errors: place([empty]), warnings: place(source.warnings) };
  }
  const schema = validateSchema(source.data);
  const rules = checkRules(source.data, { ...source, text });
  const errors = [...(schema.ok ? [] : schema.issues), ...rules.errors];
  const warnings = place([...source.warnings, ...rules.warnings]);
  if (!schema.ok || errors.length > 0) return { ok: false, errors: dedupe(place(errors)), warnings };
  return { ok: true, config: normalize(schema.value), warnings };
}

/**
 * Reads and parses a config file. Throws only when the file cannot be read:
 * FLOWLINE_CONFIG_NOT_FOUND or FLOWLINE_CONFIG_UNREADABLE. `shown` is the name used in issues
 * and messages (e.g. relative to the working directory); default: `file`.
 */
export async function loadConfig(file: string, shown: string = file): Promise<ConfigResult> {
  return parseConfig(await readConfigText(file, shown), shown);
}

/** Reads a config file's text; FLOWLINE_CONFIG_NOT_FOUND or FLOWLINE_CONFIG_UNREADABLE. */
async function readConfigText(file: string, shown: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
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
  return text;
}

/**
 * Like {@link loadConfig}, but throws FLOWLINE_CONFIG_YAML or FLOWLINE_CONFIG_INVALID with every
 * problem in `issues`. Warnings are dropped; use loadConfig to show them.
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
  const text = await readConfigText(file, shown);
  return { config: configOrThrow(parseConfig(text, shown), shown), text };
}

/** The config of a parse result, or FLOWLINE_CONFIG_YAML / FLOWLINE_CONFIG_INVALID with every problem. */
export function configOrThrow(result: ConfigResult, shown: string): FlowlineConfig {
  if (result.ok) return result.config;
  const { errors } = result;
  const first = errors[0];
  const yaml = errors.some((issue) => issue.code.startsWith('yaml_'));
  const count = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
  throw new FlowlineError(
    yaml ? 'FLOWLINE_CONFIG_YAML' : 'FLOWLINE_CONFIG_INVALID',
    `${count} in ${shown}${yaml ? ' (not valid YAML)' : ''}`,
    {
      ...(first?.hint === undefined ? {} : { hint: first.hint }),
      location: { file: shown, ...(first ? { line: first.line, column: first.column } : {}) },
      issues: errors,
    },
  );
}

function toIssue(raw: RawIssue, source: Source, file: string): Issue {
  const position = raw.position ?? locate(source, raw.path, raw.at);
  const path = formatPath(raw.path);
  return {
    code: raw.code,
    message: raw.message,
    file,
    line: position.line,
    column: position.column,
    ...(path === '' ? {} : { path }),
    ...(raw.hint === undefined ? {} : { hint: raw.hint }),
  };
}

/** `environments.production.strategy.canary.steps[2].setWeight`; odd keys as `env["a.b"]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function sortIssues(issues: Issue[]): Issue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort(
      (a, b) =>
        (a.issue.line ?? 0) - (b.issue.line ?? 0) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.index - b.index,
    )
    .map(({ issue }) => issue);
}

function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.code}\u0000${issue.path ?? ''}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
