import { FlowlineError } from '../core/errors.js';
import { type CompiledFlagSet, type CompileOptions, compileFlagSet, type FlagIssue } from './engine/index.js';
import type { ImportResult } from './migration.js';

/** Issue codes that mean "too big" rather than "wrong": the API answers 413 for them. */
const SIZE_CODES = new Set([
  'too_large',
  'too_many_flags',
  'too_many_segments',
  'too_many_rules',
  'too_many_conditions',
  'too_many_values',
  'too_many_keys',
  'too_many_variants',
  'too_many_changes',
  'too_many_prerequisites',
]);

/**
 * Compiles a flag set for a write (API, CLI, flowline.yaml apply): every problem at once as a
 * FlowlineError, FLOWLINE_FLAGS_TOO_LARGE when only caps were exceeded, else FLOWLINE_FLAGS_INVALID.
 */
export function compileFlagSetOrThrow(definition: unknown, options?: CompileOptions): CompiledFlagSet {
  const result = compileFlagSet(definition, options);
  if (result.ok) return result.flagSet;
  const tooLarge = result.errors.every((issue) => SIZE_CODES.has(issue.code));
  const first = result.errors[0] as FlagIssue;
  const count = result.errors.length;
  throw new FlowlineError(
    tooLarge ? 'FLOWLINE_FLAGS_TOO_LARGE' : 'FLOWLINE_FLAGS_INVALID',
    count === 1
      ? `the flag set is invalid: ${first.message}`
      : `the flag set has ${count} problems; the first: ${first.message}`,
    {
      location: { path: first.path },
      ...(first.hint === undefined ? {} : { hint: first.hint }),
      issues: result.errors.map((issue) => ({ ...issue })),
    },
  );
}

/** The definition of a successful import, or FLOWLINE_FLAGS_IMPORT_INVALID. */
export function importedOrThrow(result: ImportResult): Extract<ImportResult, { ok: true }> {
  if (result.ok) return result;
  throw new FlowlineError('FLOWLINE_FLAGS_IMPORT_INVALID', `cannot import: ${result.error}`, {
    hint: 'pass flagd JSON (with `flags`) or an Unleash feature export (with `features`)',
  });
}
