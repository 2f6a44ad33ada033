import { compileFlagSet } from './engine/compile.js';
import type { FlagDefinition, FlagIssue, FlagSetDefinition, SegmentDefinition } from './engine/types.js';
import type { ImportedFlagNote, ImportResult } from './migration.js';

/**
 * Makes an import partial at the last step too: the imported set is compiled as the server will
 * compile it, and each flag (or segment) the engine refuses is moved to `skipped` with the engine's
 * reason, so one flag can never make the whole set fail to write. Flags that depended on a removed
 * flag or segment are removed in the next round, naming it. Problems of the set as a whole (too
 * many flags, too large) cannot be pinned on one flag and are left for the write to report.
 */
export function keepCompilable(result: ImportResult): ImportResult {
  if (!result.ok) return result;
  const flags: Record<string, FlagDefinition> = { ...result.definition.flags };
  const segments: Record<string, SegmentDefinition> = { ...result.definition.segments };
  const skipped: ImportedFlagNote[] = [...result.skipped];
  const removedSegments = new Map<string, string>();
  const removedFlags = new Set<string>();
  // Each round removes at least one flag or segment, so this many rounds always suffice.
  const rounds = Object.keys(flags).length + Object.keys(segments).length + 1;
  for (let round = 0; round < rounds; round++) {
    const { segments: _, ...rest } = result.definition;
    const definition: FlagSetDefinition = {
      ...rest,
      ...(Object.keys(segments).length > 0 ? { segments } : {}),
      flags,
    };
    const compiled = compileFlagSet(definition);
    if (compiled.ok) return { ...result, definition, skipped };
    let progress = false;
    const reasons = new Map<string, string>();
    for (const issue of compiled.errors) {
      const segment = owner(issue.path, 'segments', Object.keys(segments));
      if (segment === undefined || removedSegments.has(segment)) continue;
      removedSegments.set(segment, issue.message);
      delete segments[segment];
      progress = true;
    }
    for (const issue of compiled.errors) {
      const flag = owner(issue.path, 'flags', Object.keys(flags));
      if (flag !== undefined && !reasons.has(flag))
        reasons.set(flag, reason(issue, removedSegments, removedFlags));
    }
    for (const [flag, message] of reasons) {
      delete flags[flag];
      removedFlags.add(flag);
      skipped.push({ flag, message });
      progress = true;
    }
    if (!progress) return result;
  }
  return result;
}

function reason(issue: FlagIssue, segments: ReadonlyMap<string, string>, flags: ReadonlySet<string>): string {
  const named = /`([^`]+)`/.exec(issue.message)?.[1];
  const segmentIssue = issue.code === 'unknown_segment' || issue.code === 'invalid_segment';
  if (named !== undefined && segmentIssue && segments.has(named))
    return `it uses segment \`${named}\`, which Flowline cannot compile: ${segments.get(named)}`;
  if (named !== undefined && issue.code === 'unknown_flag' && flags.has(named))
    return `it depends on \`${named}\`, which was skipped`;
  return `Flowline cannot compile it: ${issue.message} (at ${issue.path})`;
}

/** The flag (or segment) a path like `flags.a.b.rules[0]` belongs to; the longest matching key wins. */
function owner(path: string, root: 'flags' | 'segments', keys: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const key of keys) {
    const prefix = `${root}.${key}`;
    const inside = path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
    if (inside && (best === undefined || key.length > best.length)) best = key;
  }
  return best;
}
