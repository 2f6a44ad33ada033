import type { PrerequisiteDefinition } from '../engine/types.js';
import { Inexpressible } from '../migration.js';
import type { ClientFeature } from './export-format.js';
import { variantTable } from './variants.js';

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
    let table: ReturnType<typeof variantTable>;
    try {
      table = variantTable(parent);
    } catch (error) {
      if (!(error instanceof Inexpressible)) throw error;
      throw new Inexpressible(`it depends on \`${flag}\`, which has ${error.message}`);
    }
    if (dependency.enabled === false) return { flag, variants: [table.off] };
    if (dependency.variants.length > 0) {
      // getVariant names an enabled feature without a variant `disabled` (with feature_enabled true).
      const variants = [...new Set(dependency.variants.flatMap((v) => table.keysNamed(v)))];
      const missing = dependency.variants.filter((v) => table.keysNamed(v).length === 0);
      if (missing.length > 0)
        notes.add(
          `it depends on variant${missing.length > 1 ? 's' : ''} ${missing.map((v) => `\`${v}\``).join(', ')} of \`${flag}\`, which \`${flag}\` does not have: never satisfied, as in Unleash`,
        );
      return { flag, variants };
    }
    return { flag, variants: Object.keys(table.values).filter((key) => key !== table.off) };
  });
}
