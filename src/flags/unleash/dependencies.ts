import type { PrerequisiteDefinition } from '../engine/types.js';
import { Inexpressible } from '../migration.js';
import type { ClientFeature } from './export-format.js';

/**
 * Unleash dependent features as prerequisites, following unleash-client's
 * isParentDependencySatisfied: a parent that itself has dependencies never satisfies one; with
 * `enabled: false` the parent must be off; with `variants` the parent's getVariant name must be one
 * of them while the parent is on; otherwise the parent must be on.
 *
 * A dependency that can never be satisfied (a variant the parent does not have, a parent with
 * dependencies) becomes a prerequisite listing no variants, which is never met: the feature is
 * imported and answers off, as in Unleash.
 */

/** Our variant names of an imported feature (see import.ts): boolean `on`/`off`, else `enabled`/`disabled`/… */
export function hasVariants(feature: ClientFeature): boolean {
  return feature.variants.length > 0 || feature.strategies.some((s) => s.variants.length > 0);
}

export function variantNames(feature: ClientFeature): string[] {
  return [
    ...new Set([...feature.variants, ...feature.strategies.flatMap((s) => s.variants)].map((v) => v.name)),
  ];
}

export function prerequisites(
  feature: ClientFeature,
  byName: ReadonlyMap<string, ClientFeature>,
  notes: Set<string>,
): PrerequisiteDefinition[] {
  return feature.dependencies.map((dependency) => {
    const parent = byName.get(dependency.feature);
    if (parent === undefined)
      throw new Inexpressible(
        `it depends on \`${dependency.feature}\`, which the export does not contain (Unleash answers off until it exists)`,
      );
    const flag = parent.name;
    if (parent.dependencies.length > 0) {
      notes.add(
        `it depends on \`${flag}\`, which has dependencies itself: Unleash never enables it, nor does Flowline`,
      );
      return { flag, variants: [] };
    }
    const withVariants = hasVariants(parent);
    const on = withVariants ? 'enabled' : 'on';
    if (dependency.enabled === false) return { flag, variants: [withVariants ? 'disabled' : 'off'] };
    if (dependency.variants.length > 0) {
      const own = withVariants ? variantNames(parent) : [];
      // getVariant names an enabled feature without a variant `disabled` (with feature_enabled true).
      const variants = [
        ...new Set(
          dependency.variants.flatMap((v) => (v === 'disabled' ? [on] : own.includes(v) ? [v] : [])),
        ),
      ];
      const missing = dependency.variants.filter((v) => v !== 'disabled' && !own.includes(v));
      if (missing.length > 0)
        notes.add(
          `it depends on variant${missing.length > 1 ? 's' : ''} ${missing.map((v) => `\`${v}\``).join(', ')} of \`${flag}\`, which \`${flag}\` does not have: never satisfied, as in Unleash`,
        );
      return { flag, variants };
    }
    return { flag, variants: withVariants ? [on, ...variantNames(parent)] : [on] };
  });
}
