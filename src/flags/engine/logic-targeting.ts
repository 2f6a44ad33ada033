import type { CompileScope } from './check.js';
import { compileLogic } from './logic-compile.js';
import { FlagdRejects, type LogicState, Unsupported } from './logic-types.js';
import { errorResult, type ResultFactory, type Serve } from './results.js';
import type { EvaluationResult } from './types.js';

/**
 * A flag's flagd targeting (`targeting`: JsonLogic) compiled into the answer flagd gives:
 * null → the default variant (DEFAULT); any other value → the variant of that name
 * (TARGETING_MATCH), or GENERAL when there is none; a failure while evaluating → GENERAL;
 * targeting flagd refuses to load → PARSE_ERROR on every evaluation (and a compile warning).
 */

export interface TargetingEnv {
  readonly flagKey: string;
  readonly variantNames: readonly string[];
  readonly defaultVariant: string | undefined;
  readonly results: ResultFactory;
}

/** flagd ignores targeting that is absent or has no keys (`{}`, `""`, numbers, booleans). */
export function hasTargeting(raw: unknown): boolean {
  if (raw === undefined || raw === null) return false;
  return Object.keys(raw as object).length > 0;
}

export function compileTargeting(
  raw: unknown,
  path: string,
  scope: CompileScope,
  env: TargetingEnv,
): Serve | undefined {
  const usage = { readsFlagd: false };
  let node: ReturnType<typeof compileLogic>;
  try {
    node = compileLogic(raw, '', usage);
  } catch (error) {
    if (error instanceof Unsupported) {
      return scope.error(
        'unsupported_targeting',
        `${error.message} is not evaluated by Flowline`,
        `${path}${error.path}`,
        'rewrite it with the operations listed in docs/flags.md (flagd targeting)',
      );
    }
    if (!(error instanceof FlagdRejects)) throw error;
    scope.warn(
      'targeting_rejected',
      `flagd rejects this targeting (${error.message}); the flag answers PARSE_ERROR`,
      path,
      'fix the JsonLogic expression',
    );
    const rejected = errorResult('PARSE_ERROR', `Invalid targeting configuration for flag '${env.flagKey}'`);
    return () => rejected;
  }
  if (usage.readsFlagd) scope.usesNow = true;
  const matches = new Map<string, EvaluationResult>();
  for (const name of env.variantNames) matches.set(name, env.results.serve('TARGETING_MATCH', name));
  const fallback = env.results.serve('DEFAULT', env.defaultVariant);
  const failed = errorResult('GENERAL', `Error evaluating targeting rule for flag '${env.flagKey}'`);
  return (context, now) => {
    // flagd's `$flagd.timestamp` is the evaluation time in whole seconds.
    const flagd = { flagKey: env.flagKey, timestamp: Math.floor(now / 1000) };
    const state: LogicState = { prev: null, context, flagd, folding: false };
    let value: unknown;
    try {
      value = node.run(state);
    } catch {
      return failed;
    }
    if (value === null || value === undefined) return fallback;
    const name = String(value);
    return (
      matches.get(name) ??
      errorResult('GENERAL', `Variant '${name}' not found in flag with key '${env.flagKey}'`)
    );
  };
}
