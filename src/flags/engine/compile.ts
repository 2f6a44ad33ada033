import { CompileScope, describe, isRecord, join } from './check.js';
import type { Predicate } from './conditions.js';
import { compileFlag, type FlagOutput } from './flag.js';
import { DEFAULT_LIMITS, type FlagSetLimits } from './limits.js';
import { compileMatch } from './match.js';
import { type CompiledFlag, errorResult } from './results.js';
import { compileSegment } from './segment.js';
import { suggest } from './suggest.js';
import type { FlagIssue, FlagSetDefinition } from './types.js';
import { metadataRecord } from './variants.js';

/**
 * A flag set compiled for evaluation. Build it with {@link compileFlagSet}; it is immutable, so
 * a new version of the set is a new compiled object swapped in whole.
 */
export interface CompiledFlagSet {
  /** A copy of the definition it was compiled from. */
  readonly definition: FlagSetDefinition;
  /** Flag keys in definition order. */
  readonly keys: readonly string[];
  readonly flags: ReadonlyMap<string, CompiledFlag>;
  /** True when an answer can depend on the time (schedules, `$now`). */
  readonly timeDependent: boolean;
}

export interface CompileOptions {
  readonly limits?: Partial<FlagSetLimits>;
  /**
   * Compile what can be compiled: a flag with errors answers PARSE_ERROR instead of failing the
   * whole set. For SDKs receiving a set written by a newer server; writes stay strict.
   */
  readonly partial?: boolean;
}

export type CompileResult =
  | {
      readonly ok: true;
      readonly flagSet: CompiledFlagSet;
      /** In partial mode: the errors of the flags that answer PARSE_ERROR. */
      readonly errors: readonly FlagIssue[];
      readonly warnings: readonly FlagIssue[];
    }
  | { readonly ok: false; readonly errors: readonly FlagIssue[]; readonly warnings: readonly FlagIssue[] };

const SET_KEYS = ['service', 'environment', 'segments', 'flags', 'metadata'];

/**
 * Validates a flag set definition (plain JSON, from flowline.yaml, the API or an import) and
 * compiles it into closures and lookup tables. Reports every problem with a code, a field path
 * and a hint. Never throws.
 */
export function compileFlagSet(definition: unknown, options: CompileOptions = {}): CompileResult {
  const scope = new CompileScope({ ...DEFAULT_LIMITS, ...options.limits });
  const copy = copyDefinition(definition, scope);
  if (copy === undefined) return { ok: false, errors: scope.issues, warnings: scope.warnings };
  scope.onlyKeys(copy, SET_KEYS, '');
  for (const key of ['service', 'environment'] as const) {
    if (copy[key] !== undefined) scope.text(copy[key], key, `\`${key}\``);
  }
  const setMetadata = metadataRecord(copy.metadata, 'metadata', scope);
  const setErrors = scope.issues.length;
  const segments = compileSegments(copy.segments, scope);
  const flagsRaw = copy.flags;
  if (!isRecord(flagsRaw)) {
    scope.error('invalid_type', `\`flags\` must map flag keys to flags, got ${describe(flagsRaw)}`, 'flags');
    return { ok: false, errors: scope.issues, warnings: scope.warnings };
  }
  const keys = Object.keys(flagsRaw);
  if (keys.length > scope.limits.maxFlags) {
    scope.error(
      'too_many_flags',
      `${keys.length} flags, more than ${scope.limits.maxFlags}`,
      'flags',
      'delete flags that are fully rolled out',
    );
    return { ok: false, errors: scope.issues, warnings: scope.warnings };
  }
  const outputs = new Map<string, FlagOutput>();
  const broken = new Set<string>();
  for (const key of keys) {
    const before = scope.issues.length;
    const path = join('flags', key);
    const output =
      scope.text(key, path, 'a flag key') === undefined
        ? undefined
        : compileFlag(key, flagsRaw[key], path, scope, { segments, setMetadata });
    if (output !== undefined && scope.issues.length === before) outputs.set(key, output);
    else broken.add(key);
  }
  checkPrerequisites(outputs, broken, keys, scope);
  const partial = options.partial === true && scope.issues.length > 0 && setErrors === 0;
  if (scope.issues.length > 0 && !partial)
    return { ok: false, errors: scope.issues, warnings: scope.warnings };
  const flags = new Map<string, CompiledFlag>();
  let timeDependent = scope.usesNow;
  for (const key of keys) {
    const output = outputs.get(key);
    if (output === undefined || broken.has(key)) {
      flags.set(key, brokenFlag(key, copy.flags, scope.issues));
      continue;
    }
    flags.set(key, output.flag);
    if (output.flag.times.length > 0) timeDependent = true;
  }
  const flagSet: CompiledFlagSet = {
    definition: copy as unknown as FlagSetDefinition,
    keys,
    flags,
    timeDependent,
  };
  return { ok: true, flagSet, errors: scope.issues, warnings: scope.warnings };
}

/** A JSON copy of the definition (so later changes by the caller cannot reach the compiled set). */
function copyDefinition(definition: unknown, scope: CompileScope): Record<string, unknown> | undefined {
  if (!isRecord(definition)) {
    return scope.error(
      'invalid_type',
      `a flag set must be an object with \`flags\`, got ${describe(definition)}`,
      '',
    );
  }
  let json: string;
  try {
    json = JSON.stringify(definition);
  } catch (error) {
    return scope.error('invalid_type', `the flag set is not plain JSON data: ${String(error)}`, '');
  }
  if (json.length > scope.limits.maxBytes) {
    return scope.error(
      'too_large',
      `the flag set is ${Math.ceil(json.length / 1024)} KiB as JSON, more than ${Math.floor(scope.limits.maxBytes / 1024)} KiB`,
      '',
      'delete finished flags, or move long lists of keys out of segments',
    );
  }
  return JSON.parse(json) as Record<string, unknown>;
}

function compileSegments(raw: unknown, scope: CompileScope): Map<string, Predicate | null> {
  const segments = new Map<string, Predicate | null>();
  if (raw === undefined) return segments;
  if (!isRecord(raw)) {
    scope.error('invalid_type', '`segments` must map names to segments', 'segments');
    return segments;
  }
  const names = Object.keys(raw);
  if (names.length > scope.limits.maxSegments) {
    scope.error(
      'too_many_segments',
      `${names.length} segments, more than ${scope.limits.maxSegments}`,
      'segments',
    );
    return segments;
  }
  for (const name of names) {
    const path = join('segments', name);
    scope.conditions = 0;
    scope.conditionsReported = false;
    const before = scope.issues.length;
    const compiled =
      scope.text(name, path, 'a segment name') === undefined
        ? undefined
        : compileSegment(raw[name], path, scope, (when, at) =>
            compileMatch(when, at, scope, { flagKey: name, segments: undefined }),
          );
    segments.set(name, compiled !== undefined && scope.issues.length === before ? compiled : null);
  }
  return segments;
}

/** Unknown flags and variants in prerequisites, cycles (named in full), and evaluation cost. */
function checkPrerequisites(
  outputs: Map<string, FlagOutput>,
  broken: Set<string>,
  keys: readonly string[],
  scope: CompileScope,
): void {
  for (const [key, output] of outputs) {
    output.flag.prerequisites.forEach((prerequisite, index) => {
      const path = output.prerequisitePaths[index] as string;
      const other = outputs.get(prerequisite.flag);
      if (other === undefined) {
        if (keys.includes(prerequisite.flag)) return; // the other flag has errors of its own
        broken.add(key);
        scope.error(
          'unknown_flag',
          `prerequisite flag \`${prerequisite.flag}\` is not defined`,
          path,
          suggest(prerequisite.flag, keys, 'defined flags'),
        );
        return;
      }
      for (const variant of prerequisite.variants) {
        if (other.variantNames.includes(variant)) continue;
        broken.add(key);
        scope.error(
          'unknown_variant',
          `flag \`${prerequisite.flag}\` has no variant \`${variant}\``,
          path.replace(/\.flag$/, '.variants'),
          suggest(variant, other.variantNames, `variants of \`${prerequisite.flag}\``),
        );
      }
    });
  }
  const cost = new Map<string, number>();
  const visiting: string[] = [];
  const visit = (key: string): number => {
    const known = cost.get(key);
    if (known !== undefined) return known;
    const output = outputs.get(key);
    if (output === undefined) return 1;
    if (visiting.includes(key)) {
      const cycle = [...visiting.slice(visiting.indexOf(key)), key];
      const from = cycle.at(-2) as string;
      const fromOutput = outputs.get(from) as FlagOutput;
      const index = fromOutput.flag.prerequisites.findIndex((p) => p.flag === key);
      for (const member of cycle) broken.add(member);
      scope.error(
        'prerequisite_cycle',
        `flag prerequisites form a cycle: ${cycle.join(' → ')}`,
        fromOutput.prerequisitePaths[index] as string,
        'remove one of these prerequisites',
      );
      cost.set(key, Number.POSITIVE_INFINITY);
      return Number.POSITIVE_INFINITY;
    }
    visiting.push(key);
    let total = 1;
    for (const prerequisite of output.flag.prerequisites) total += visit(prerequisite.flag);
    visiting.pop();
    if (total > scope.limits.maxPrerequisiteEvaluations && Number.isFinite(total)) {
      broken.add(key);
      scope.error(
        'prerequisite_cost',
        `evaluating \`${key}\` would evaluate ${total} flags through its prerequisites, more than ${scope.limits.maxPrerequisiteEvaluations}`,
        join(join('flags', key), 'prerequisites'),
        'depend on fewer flags, or on flags with fewer prerequisites',
      );
      total = Number.POSITIVE_INFINITY;
    }
    if (!cost.has(key)) cost.set(key, total);
    return cost.get(key) as number;
  };
  for (const key of outputs.keys()) visit(key);
}

function brokenFlag(key: string, flags: unknown, issues: readonly FlagIssue[]): CompiledFlag {
  const prefix = join('flags', key);
  const own = issues.find(
    (issue) =>
      issue.path === prefix || issue.path.startsWith(`${prefix}.`) || issue.path.startsWith(`${prefix}[`),
  );
  const type = isRecord(flags) && isRecord(flags[key]) ? flags[key].type : undefined;
  const fixed = errorResult(
    'PARSE_ERROR',
    own === undefined ? `flag \`${key}\` could not be compiled` : `${own.path}: ${own.message}`,
  );
  return {
    key,
    type: type === 'boolean' || type === 'string' || type === 'number' ? type : 'json',
    fixed,
    times: [],
    states: [],
    prerequisites: [],
    invalidContext: fixed,
  };
}
