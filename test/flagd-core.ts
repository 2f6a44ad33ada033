import type { FlagdCore } from '@openfeature/flagd-core';

/**
 * Resolves a flag in @openfeature/flagd-core with the flag's own type, as an OpenFeature provider
 * would: the reference the flagd import and export tests compare Flowline's answers with. Kept
 * out of src/ because flagd-core is a development dependency.
 */
export function resolveWithFlagd(
  core: FlagdCore,
  key: string,
  context: Record<string, unknown>,
): { variant?: string | undefined; reason?: string | undefined } {
  const flag = core.getFlag(key);
  const value = flag?.variants.get(flag.defaultVariant ?? '') ?? [...(flag?.variants.values() ?? [])][0];
  const ctx = context as Parameters<FlagdCore['resolveBooleanEvaluation']>[2];
  switch (typeof value) {
    case 'boolean':
      return core.resolveBooleanEvaluation(key, false, ctx);
    case 'string':
      return core.resolveStringEvaluation(key, '', ctx);
    case 'number':
      return core.resolveNumberEvaluation(key, 0, ctx);
    default:
      return core.resolveObjectEvaluation(key, {}, ctx);
  }
}

/** The OpenFeature answer of flagd-core for a flag of `type`, in the shape Flowline compares. */
export interface FlagdDetails {
  readonly value: unknown;
  readonly variant: string | undefined;
  readonly reason: string | undefined;
  readonly errorCode: string | undefined;
}

/**
 * Resolves `key` in flagd-core as a provider asks for a flag of `type` (Flowline's type), with a
 * caller default that is returned whenever flagd has no variant to serve (`variant` undefined).
 */
export function resolveDetails(
  core: FlagdCore,
  key: string,
  type: 'boolean' | 'string' | 'number' | 'json',
  context: Record<string, unknown>,
): FlagdDetails {
  const ctx = context as Parameters<FlagdCore['resolveBooleanEvaluation']>[2];
  const answer =
    type === 'boolean'
      ? core.resolveBooleanEvaluation(key, false, ctx)
      : type === 'string'
        ? core.resolveStringEvaluation(key, '', ctx)
        : type === 'number'
          ? core.resolveNumberEvaluation(key, 0, ctx)
          : core.resolveObjectEvaluation(key, {}, ctx);
  return {
    value: answer.variant === undefined ? undefined : answer.value,
    variant: answer.variant,
    reason: answer.reason,
    errorCode: answer.errorCode,
  };
}
