import type { FlagSetDefinition } from '../engine.js';

/**
 * The keys of the flags whose answers may differ between two versions of a flag set: flags added,
 * removed or changed, flags using a segment that changed, and every flag when the set's metadata
 * (merged into each flag's metadata) changed. In the order of `after`, then removed flags.
 */
export function changedFlags(before: FlagSetDefinition, after: FlagSetDefinition): string[] {
  const oldFlags = before.flags;
  const newFlags = after.flags;
  const everything = canonical(before.metadata) !== canonical(after.metadata);
  const segments = changedSegments(before, after);
  const changed: string[] = [];
  for (const key of Object.keys(newFlags)) {
    const flag = newFlags[key];
    if (
      everything ||
      !Object.hasOwn(oldFlags, key) ||
      canonical(oldFlags[key]) !== canonical(flag) ||
      (segments.size > 0 && usesAny(flag, segments))
    ) {
      changed.push(key);
    }
  }
  for (const key of Object.keys(oldFlags)) {
    if (!Object.hasOwn(newFlags, key)) changed.push(key);
  }
  return changed;
}

function changedSegments(before: FlagSetDefinition, after: FlagSetDefinition): Set<string> {
  const oldSegments = before.segments ?? {};
  const newSegments = after.segments ?? {};
  const names = new Set([...Object.keys(oldSegments), ...Object.keys(newSegments)]);
  const changed = new Set<string>();
  for (const name of names) {
    if (canonical(oldSegments[name]) !== canonical(newSegments[name])) changed.add(name);
  }
  return changed;
}

/** True when a `{ segment: name }` anywhere in the flag (rules, schedules) names one of `segments`. */
function usesAny(value: unknown, segments: ReadonlySet<string>): boolean {
  if (Array.isArray(value)) return value.some((item) => usesAny(item, segments));
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  if (typeof record.segment === 'string' && segments.has(record.segment)) return true;
  return Object.values(record).some((item) => usesAny(item, segments));
}

/** JSON with object keys sorted, so two servers serialising alike-but-reordered sets compare equal. */
function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
}
