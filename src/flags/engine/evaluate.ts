import type { CompiledFlagSet } from './compile.js';
import { type CompiledFlag, type CompiledState, errorResult } from './results.js';
import type { EvaluateOptions, EvaluationContext, EvaluationResult } from './types.js';
import type { Context } from './values.js';

/**
 * Evaluates one flag for one context, like an OpenFeature provider resolves it. Pure: no I/O,
 * no clock unless the set has schedules or `$now` conditions and no `now` is given. Never throws:
 * a problem becomes `reason: 'ERROR'` with an `errorCode`.
 *
 * - unknown flag: FLAG_NOT_FOUND (no value);
 * - `expectedType` differs from the flag's type: TYPE_MISMATCH (no value);
 * - the context is not an object: INVALID_CONTEXT (with the default variant);
 * - a split needs an attribute the context lacks: TARGETING_KEY_MISSING or INVALID_CONTEXT
 *   (with the default variant); a condition on a missing or wrongly typed attribute simply does
 *   not match;
 * - a flag that could not be compiled (partial mode): PARSE_ERROR.
 */
export function evaluate(
  set: CompiledFlagSet,
  flagKey: string,
  context: EvaluationContext,
  options?: EvaluateOptions,
): EvaluationResult {
  try {
    const flag = set.flags.get(flagKey);
    if (flag === undefined) return notFound(flagKey);
    const expected = options?.expectedType;
    if (
      expected !== undefined &&
      expected !== flag.type &&
      !(expected === 'object' && flag.type === 'json')
    ) {
      return typeMismatch(flagKey, flag.type, expected);
    }
    if (typeof context !== 'object' || context === null || Array.isArray(context))
      return invalidContext(flag);
    return resolve(set, flag, context, set.timeDependent ? nowOf(options) : 0);
  } catch (error) {
    return errorResult('GENERAL', `evaluating \`${String(flagKey)}\` failed: ${String(error)}`);
  }
}

/** Evaluates every flag of the set; keyed by flag key (the object has no prototype). */
export function evaluateAll(
  set: CompiledFlagSet,
  context: EvaluationContext,
  options?: Omit<EvaluateOptions, 'expectedType'>,
): Record<string, EvaluationResult> {
  const out: Record<string, EvaluationResult> = Object.create(null);
  try {
    const now = set.timeDependent ? nowOf(options) : 0;
    const valid = typeof context === 'object' && context !== null && !Array.isArray(context);
    for (const key of set.keys) {
      const flag = set.flags.get(key) as CompiledFlag;
      try {
        out[key] = valid ? resolve(set, flag, context, now) : invalidContext(flag);
      } catch (error) {
        out[key] = errorResult('GENERAL', `evaluating \`${key}\` failed: ${String(error)}`);
      }
    }
  } catch {
    // Not a compiled set, or an unreadable `now`: the flags answered so far.
  }
  return out;
}

function resolve(set: CompiledFlagSet, flag: CompiledFlag, context: Context, now: number): EvaluationResult {
  if (flag.fixed !== undefined) return flag.fixed;
  const state = stateAt(flag, now);
  if (state.disabled !== undefined) return state.disabled;
  const prerequisites = flag.prerequisites;
  for (let i = 0; i < prerequisites.length; i++) {
    const prerequisite = prerequisites[i] as CompiledFlag['prerequisites'][number];
    const other = set.flags.get(prerequisite.flag);
    const answer = other === undefined ? undefined : resolve(set, other, context, now);
    if (answer?.variant === undefined || !prerequisite.variants.has(answer.variant))
      return prerequisite.failed;
  }
  const rules = state.rules;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as CompiledState['rules'][number];
    if (rule.test === undefined || rule.test(context, now)) return rule.serve(context, now);
  }
  return state.fallthrough(context, now);
}

function stateAt(flag: CompiledFlag, now: number): CompiledState {
  const times = flag.times;
  let index = 0;
  while (index < times.length && (times[index] as number) <= now) index++;
  return flag.states[index] as CompiledState;
}

function nowOf(options: Omit<EvaluateOptions, 'expectedType'> | undefined): number {
  const now = options?.now;
  if (now === undefined) return Date.now();
  return typeof now === 'number' ? now : now.getTime();
}

function notFound(flagKey: string): EvaluationResult {
  return errorResult('FLAG_NOT_FOUND', `flag \`${String(flagKey)}\` is not defined`);
}

function typeMismatch(flagKey: string, actual: string, expected: string): EvaluationResult {
  return errorResult('TYPE_MISMATCH', `flag \`${flagKey}\` is a ${actual} flag, not ${expected}`);
}

function invalidContext(flag: CompiledFlag): EvaluationResult {
  return flag.fixed ?? flag.invalidContext;
}
