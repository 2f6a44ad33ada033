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
