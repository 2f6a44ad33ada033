import type { Predicate } from './conditions.js';
import type {
  EvaluationErrorCode,
  EvaluationResult,
  FlagType,
  FlagValue,
  MetadataValue,
  Reason,
} from './types.js';
import type { Context } from './values.js';

/**
 * The compiled form of a flag, and the answers it can give. Every answer a flag can give is built
 * and frozen once at compile time, so an evaluation returns a shared object and allocates nothing.
 */

export type Serve = (context: Context, now: number) => EvaluationResult;

export interface CompiledRule {
  /** Undefined: the rule always matches. */
  readonly test: Predicate | undefined;
  readonly serve: Serve;
}

/** The flag as it stands between two scheduled changes. */
export interface CompiledState {
  /** Set when the flag is off in this state. */
  readonly disabled: EvaluationResult | undefined;
  readonly rules: readonly CompiledRule[];
  readonly fallthrough: Serve;
}

export interface CompiledPrerequisite {
  readonly flag: string;
  readonly variants: ReadonlySet<string>;
  readonly failed: EvaluationResult;
}

export interface CompiledFlag {
  readonly key: string;
  readonly type: FlagType;
  /** Set while the kill switch is pulled, or when the flag could not be compiled (partial mode). */
  readonly fixed: EvaluationResult | undefined;
  /** `states[i + 1]` applies from `times[i]` (epoch ms, ascending). */
  readonly times: readonly number[];
  readonly states: readonly CompiledState[];
  readonly prerequisites: readonly CompiledPrerequisite[];
  /** The answer when the context is not an object: the default variant, reason ERROR. */
  readonly invalidContext: EvaluationResult;
}

/** Builds each distinct answer of one flag once. */
export class ResultFactory {
  private readonly cache = new Map<string, EvaluationResult>();

  constructor(
    private readonly variants: ReadonlyMap<string, FlagValue>,
    private readonly metadata: Readonly<Record<string, MetadataValue>> | undefined,
  ) {}

  /** An answer serving `variant`; `extra` adds flag metadata (a rule's name, a failed prerequisite). */
  serve(
    reason: Reason,
    variant: string | undefined,
    extra?: Record<string, MetadataValue>,
  ): EvaluationResult {
    const cacheKey = `${reason}\u0000${variant ?? '\u0001'}\u0000${extra === undefined ? '' : JSON.stringify(extra)}`;
    let result = this.cache.get(cacheKey);
    if (result === undefined) {
      // No variant (a disabled flag, or none to default to): OpenFeature's caller default applies.
      const served = variant === undefined ? {} : { value: this.variants.get(variant) ?? null, variant };
      result = freezeResult({ ...served, reason, ...this.meta(extra) });
      this.cache.set(cacheKey, result);
    }
    return result;
  }

  /** An error answer that still carries `variant` (the default one, when the flag has one) and its value. */
  error(code: EvaluationErrorCode, message: string, variant: string | undefined): EvaluationResult {
    return freezeResult({
      ...(variant === undefined ? {} : { value: this.variants.get(variant) ?? null, variant }),
      reason: 'ERROR',
      errorCode: code,
      errorMessage: message,
      ...this.meta(undefined),
    });
  }

  private meta(extra: Record<string, MetadataValue> | undefined): {
    flagMetadata?: Readonly<Record<string, MetadataValue>>;
  } {
    if (extra === undefined) return this.metadata === undefined ? {} : { flagMetadata: this.metadata };
    return { flagMetadata: Object.freeze({ ...this.metadata, ...extra }) };
  }
}

export function freezeResult(result: EvaluationResult): EvaluationResult {
  return Object.freeze(result);
}

export function errorResult(code: EvaluationErrorCode, message: string): EvaluationResult {
  return Object.freeze({ reason: 'ERROR', errorCode: code, errorMessage: message });
}

/** A deep copy of a JSON value, frozen so callers cannot change what other evaluations return. */
export function frozenCopy(value: FlagValue): FlagValue {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy));
  const out: Record<string, FlagValue> = {};
  for (const [key, item] of Object.entries(value)) {
    Object.defineProperty(out, key, { value: frozenCopy(item), enumerable: true });
  }
  return Object.freeze(out);
}
