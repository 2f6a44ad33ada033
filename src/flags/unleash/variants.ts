import type { FlagValue } from '../engine/types.js';
import { Inexpressible } from '../migration.js';
import type { ClientFeature, UnleashVariant } from './export-format.js';

/**
 * The Flowline variants of an imported feature. Without Unleash variants: a boolean flag, `on` and
 * `off`. With them: a JSON flag whose values are what unleash-client's getVariant returns —
 * `disabled` when the feature is off, `enabled` when it is on without a variant (Unleash names
 * that one `disabled` too, with `feature_enabled: true`), and one per variant.
 *
 * Unleash variants live in each strategy (and on the feature), so two strategies may give one
 * variant name different payloads. Each distinct (name, payload) gets its own Flowline variant:
 * the first keeps the name, later ones are `name~2`, `name~3`…; the value still says `name`.
 */
export interface VariantTable {
  readonly boolean: boolean;
  readonly on: string;
  readonly off: string;
  readonly values: Readonly<Record<string, FlagValue>>;
  /** Our variant for one of the feature's Unleash variants. */
  keyOf(variant: UnleashVariant): string;
  /** Our variants that getVariant would name `name`. */
  keysNamed(name: string): readonly string[];
}

export function variantTable(feature: ClientFeature): VariantTable {
  const all = [...feature.variants, ...feature.strategies.flatMap((s) => s.variants)];
  if (all.length === 0) {
    return {
      boolean: true,
      on: 'on',
      off: 'off',
      values: { on: true, off: false },
      keyOf: () => 'on',
      keysNamed: (name) => (name === 'disabled' ? ['on'] : []),
    };
  }
  const values: Record<string, FlagValue> = {
    disabled: { name: 'disabled', enabled: false, feature_enabled: false },
    enabled: { name: 'disabled', enabled: false, feature_enabled: true },
  };
  const byValue = new Map<string, string>();
  const byName = new Map<string, string[]>([['disabled', ['enabled']]]);
  for (const variant of all) {
    if (variant.name === 'disabled' || variant.name === 'enabled')
      throw new Inexpressible(
        `a variant named \`${variant.name}\` (getVariant also answers \`disabled\` when no variant applies, so the two could not be told apart)`,
      );
    const value: FlagValue = {
      name: variant.name,
      enabled: true,
      feature_enabled: true,
      ...(variant.payload === undefined ? {} : { payload: variant.payload as FlagValue }),
    };
    const text = JSON.stringify(value);
    if (byValue.has(text)) continue;
    const keys = byName.get(variant.name) ?? [];
    let key = variant.name;
    for (let n = keys.length + 1; Object.hasOwn(values, key); n++) key = `${variant.name}~${n}`;
    Object.defineProperty(values, key, { value, enumerable: true, configurable: true, writable: true });
    byValue.set(text, key);
    byName.set(variant.name, [...keys, key]);
  }
  return {
    boolean: false,
    on: 'enabled',
    off: 'disabled',
    values,
    keyOf: (variant) =>
      byValue.get(
        JSON.stringify({
          name: variant.name,
          enabled: true,
          feature_enabled: true,
          ...(variant.payload === undefined ? {} : { payload: variant.payload }),
        }),
      ) as string,
    keysNamed: (name) => byName.get(name) ?? [],
  };
}
