import { compileFlagSet } from '../engine/index.js';
import type {
  FlagDefinition,
  FlagIssue,
  FlagSetDefinition,
  FlagType,
  FlagValue,
  MetadataValue,
} from '../engine/types.js';
import type { ImportedFlagNote, ImportResult } from '../migration.js';

/**
 * Imports flagd flag definitions (https://flagd.dev/reference/flag-definitions/). A flag's
 * targeting is kept as it is, in the flag's `targeting` field, which the engine evaluates exactly
 * as `@openfeature/flagd-core` does (ADR 0012): same value, variant, reason and error code, and
 * splits keep flagd's bucketing, so no user changes variant.
 *
 * The import is partial: a flag flagd itself cannot load, or whose targeting uses an operation
 * Flowline does not evaluate, is skipped with the reason; every other flag is imported.
 */
export function importFlagd(source: string | unknown): ImportResult {
  let text: string;
  try {
    text = typeof source === 'string' ? source : JSON.stringify(source);
    JSON.parse(text);
  } catch (error) {
    return invalid(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const resolved = resolveRefs(text);
  if (resolved === undefined)
    return invalid(`the \`$ref\`s expand to more than ${MAX_EXPANDED / 2 ** 20} MiB`);
  const document = JSON.parse(resolved) as unknown;
  if (!isRecord(document) || !isRecord(document.flags))
    return invalid('a flagd document has a `flags` object');
  const setMetadata = metadataOf(document.metadata);
  const flags: Record<string, FlagDefinition> = {};
  const skipped: ImportedFlagNote[] = [];
  const notes: ImportedFlagNote[] = [];
  for (const [key, raw] of Object.entries(document.flags)) {
    const outcome = importFlag(key, raw, setMetadata);
    if ('skip' in outcome) {
      skipped.push({ flag: key, message: outcome.skip });
      continue;
    }
    Object.defineProperty(flags, key, { value: outcome.flag, enumerable: true });
    notes.push(...outcome.notes.map((message) => ({ flag: key, message })));
  }
  const definition: FlagSetDefinition = {
    flags,
    ...(setMetadata === undefined ? {} : { metadata: setMetadata }),
  };
  return { ok: true, definition: dropFailing(definition, skipped), skipped, notes };
}

type FlagOutcome = { readonly flag: FlagDefinition; readonly notes: string[] } | { readonly skip: string };

function importFlag(
  key: string,
  raw: unknown,
  setMetadata: Record<string, MetadataValue> | undefined,
): FlagOutcome {
  if (!isRecord(raw)) return { skip: 'the flag is not an object' };
  const { state, variants } = raw;
  // flagd refuses the whole file over these; Flowline skips only the flag.
  if (state !== 'ENABLED' && state !== 'DISABLED') {
    return {
      skip: `state ${JSON.stringify(state)} is neither ENABLED nor DISABLED (flagd refuses the file)`,
    };
  }
  if (!isRecord(variants) || Object.keys(variants).length === 0) return { skip: 'the flag has no variants' };
  // flagd reads `defaultVariant || undefined`: "", null and a missing one all mean "none".
  const defaultVariant = raw.defaultVariant || undefined;
  if (
    defaultVariant !== undefined &&
    (typeof defaultVariant !== 'string' || !Object.hasOwn(variants, defaultVariant))
  ) {
    return {
      skip: `defaultVariant ${JSON.stringify(defaultVariant)} is not a variant (flagd refuses the file)`,
    };
  }
  const values = Object.values(variants) as FlagValue[];
  const type = typeOf(values);
  const metadata = metadataOf(raw.metadata);
  const flag: FlagDefinition = {
    type,
    variants: variants as Record<string, FlagValue>,
    ...(defaultVariant === undefined ? {} : { defaultVariant }),
    enabled: state === 'ENABLED',
    ...(raw.targeting === undefined || raw.targeting === null ? {} : { targeting: raw.targeting }),
    ...(metadata === undefined ? {} : { metadata }),
  };
  const notes: string[] = [];
  if (type === 'json' && !values.every((value) => isRecord(value))) {
    notes.push(
      'its variants mix types: flagd answers TYPE_MISMATCH only for the variants of another type than asked; here the flag is `json` and a boolean, string or number evaluation answers TYPE_MISMATCH',
    );
  }
  const checked = compileFlagSet({
    ...(setMetadata === undefined ? {} : { metadata: setMetadata }),
    flags: { [key]: flag },
  });
  if (!checked.ok) return { skip: reason(key, checked.errors) };
  for (const warning of checked.warnings) {
    if (warning.code === 'targeting_rejected') {
      notes.push(`${warning.message}; flagd answers the same (it cannot load this targeting either)`);
    }
  }
  return { flag, notes };
}

/** The first issue, in words a flagd user recognises (the path is the JsonLogic position). */
function reason(key: string, issues: readonly FlagIssue[]): string {
  const issue = issues[0];
  if (issue === undefined) return 'the flag cannot be compiled';
  const prefix = `flags.${key}.`;
  const at = issue.path.startsWith(prefix) ? issue.path.slice(prefix.length) : issue.path;
  return `${issue.message} (at ${at})`;
}

/** Evaluators that reference each other can double the text at each step: a bound before parsing. */
const MAX_EXPANDED = 16 * 2 ** 20;

/**
 * flagd's `$ref` resolution, exactly: the document's text, normalised, with each
 * `{"$ref":"name"}` replaced by the evaluator in the order `$evaluators` lists them. A reference
 * to a missing evaluator stays, and flagd (and Flowline) answer PARSE_ERROR for that flag.
 */
function resolveRefs(text: string): string | undefined {
  const evaluators = (JSON.parse(text) as Record<string, unknown> | null)?.$evaluators;
  if (!evaluators || typeof evaluators !== 'object') return text;
  let out = JSON.stringify(JSON.parse(text));
  for (const [name, body] of Object.entries(evaluators)) {
    out = out.replaceAll(`{"$ref":"${name}"}`, JSON.stringify(body));
    if (out.length > MAX_EXPANDED) return undefined;
  }
  return out;
}

/** Compiles the imported set; a flag that fails only together with the others is moved to skipped. */
function dropFailing(definition: FlagSetDefinition, skipped: ImportedFlagNote[]): FlagSetDefinition {
  const result = compileFlagSet(definition);
  if (result.ok) return definition;
  const keys = Object.keys(definition.flags);
  const failing = new Map<string, string>();
  for (const issue of result.errors) {
    const key = keys.find((k) => issue.path === `flags.${k}` || issue.path.startsWith(`flags.${k}.`));
    if (key !== undefined && !failing.has(key)) failing.set(key, issue.message);
  }
  if (failing.size === 0) return definition;
  const flags: Record<string, FlagDefinition> = {};
  for (const key of keys) {
    const message = failing.get(key);
    if (message !== undefined) skipped.push({ flag: key, message });
    else Object.defineProperty(flags, key, { value: definition.flags[key], enumerable: true });
  }
  return dropFailing({ ...definition, flags }, skipped);
}

function typeOf(values: readonly FlagValue[]): FlagType {
  for (const type of ['boolean', 'string', 'number'] as const) {
    if (values.every((value) => typeof value === type)) return type;
  }
  return 'json';
}

function metadataOf(raw: unknown): Record<string, MetadataValue> | undefined {
  if (!isRecord(raw)) return undefined;
  const out: Record<string, MetadataValue> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      Object.defineProperty(out, key, { value, enumerable: true });
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): ImportResult {
  return { ok: false, error: message };
}
