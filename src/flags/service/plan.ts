import { canonicalJson } from '../../audit/index.js';
import type { FlagDefinition, FlagSetDefinition } from '../engine/types.js';
import type { FlagDocument } from './types.js';

/** One field that differs: `+` only in the file, `-` only on the server, `~` in both but different. */
export interface FieldDiff {
  readonly op: '+' | '-' | '~';
  /** Dotted path inside the flag or segment, e.g. `rules[1].serve.variant`. */
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** What applying does to one flag, segment, or the set's metadata. */
export interface EntryChange {
  readonly kind: 'flag' | 'segment' | 'metadata';
  readonly key: string;
  readonly op: 'create' | 'update' | 'delete';
  readonly fields: readonly FieldDiff[];
}

export interface EnvironmentPlan {
  readonly environment: string;
  /** The server's version and ETag when the plan was made: apply sends it as `If-Match`. */
  readonly version: number;
  readonly etag: string;
  readonly changes: readonly EntryChange[];
  /** Flags killed on the server: the file cannot say so, so the kill is kept. */
  readonly keptKills: readonly string[];
  /** Exactly what apply writes. */
  readonly desired: FlagSetDefinition;
}

/** A saved plan (`flowline flags plan --out`): what apply applies, whatever the file says later. */
export interface FlagPlan {
  readonly format: 'flowline-flags-plan/1';
  readonly service: string;
  readonly createdAt: string;
  readonly environments: readonly EnvironmentPlan[];
}

/**
 * Compares the server's flag set with the one the file wants. The kill switch is operational
 * state that flowline.yaml cannot express, so a flag killed on the server stays killed.
 */
export function planEnvironment(current: FlagDocument, wanted: FlagSetDefinition): EnvironmentPlan {
  const flags: Record<string, FlagDefinition> = {};
  const keptKills: string[] = [];
  for (const [key, flag] of Object.entries(wanted.flags)) {
    const live = Object.hasOwn(current.definition.flags, key) ? current.definition.flags[key] : undefined;
    if (live?.killed === true) {
      const variant =
        live.killVariant !== undefined && Object.hasOwn(flag.variants, live.killVariant)
          ? { killVariant: live.killVariant }
          : {};
      flags[key] = { ...flag, killed: true, ...variant };
      keptKills.push(key);
    } else flags[key] = flag;
  }
  const desired: FlagSetDefinition = { ...wanted, flags };
  const changes = [
    ...entries('flag', current.definition.flags, desired.flags),
    ...entries('segment', current.definition.segments ?? {}, desired.segments ?? {}),
  ];
  const metadata = diffValues(current.definition.metadata ?? {}, desired.metadata ?? {}, '');
  if (metadata.length > 0)
    changes.push({ kind: 'metadata', key: 'metadata', op: 'update', fields: metadata });
  return {
    environment: current.environment,
    version: current.version,
    etag: current.etag,
    changes,
    keptKills,
    desired,
  };
}

export function hasChanges(plan: FlagPlan): boolean {
  return plan.environments.some((env) => env.changes.length > 0);
}

/** Counts for the closing line: `Plan: 1 to create, 2 to update, 0 to delete.` */
export function planCounts(plan: FlagPlan): { create: number; update: number; delete: number } {
  const counts = { create: 0, update: 0, delete: 0 };
  for (const env of plan.environments) for (const change of env.changes) counts[change.op] += 1;
  return counts;
}

function entries(
  kind: 'flag' | 'segment',
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): EntryChange[] {
  const out: EntryChange[] = [];
  for (const [key, value] of Object.entries(after)) {
    if (!Object.hasOwn(before, key)) {
      out.push({ kind, key, op: 'create', fields: diffValues(undefined, value, '') });
      continue;
    }
    const fields = diffValues(before[key], value, '');
    if (fields.length > 0) out.push({ kind, key, op: 'update', fields });
  }
  for (const [key, value] of Object.entries(before)) {
    if (!Object.hasOwn(after, key))
      out.push({ kind, key, op: 'delete', fields: diffValues(value, undefined, '') });
  }
  return out;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Field-level differences between two JSON values; objects and arrays are walked, key order ignored. */
export function diffValues(before: unknown, after: unknown, path: string): FieldDiff[] {
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return leaves(after, path, '+');
  if (after === undefined) return leaves(before, path, '-');
  if (isObject(before) && isObject(after)) {
    const out: FieldDiff[] = [];
    for (const key of Object.keys(after)) out.push(...diffValues(before[key], after[key], join(path, key)));
    for (const key of Object.keys(before))
      if (!Object.hasOwn(after, key)) out.push(...diffValues(before[key], undefined, join(path, key)));
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: FieldDiff[] = [];
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i++) out.push(...diffValues(before[i], after[i], `${path}[${i}]`));
    return out;
  }
  return canonicalJson(before) === canonicalJson(after) ? [] : [{ op: '~', path, before, after }];
}

/** A whole value added or removed, shown field by field only one level deep (keeps plans short). */
function leaves(value: unknown, path: string, op: '+' | '-'): FieldDiff[] {
  if (path === '' && isObject(value))
    return Object.entries(value).map(([key, v]) =>
      op === '+' ? { op, path: key, after: v } : { op, path: key, before: v },
    );
  return [op === '+' ? { op, path, after: value } : { op, path, before: value }];
}

function join(path: string, key: string): string {
  const part = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  return path === '' ? part : /^[A-Za-z_$]/.test(part) ? `${path}.${part}` : `${path}[${part}]`;
}
