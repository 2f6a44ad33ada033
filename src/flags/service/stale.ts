import type { FlagDefinition, ServeDefinition } from '../engine/types.js';
import type { FlagOverview } from './types.js';

const DAY_MS = 86_400_000;

/** A temporary flag that should be removed from the code. */
export interface StaleFlag {
  readonly flag: string;
  /** `expired`: past its `expires` date; `settled`: one variant for everyone everywhere, unchanged for `days`. */
  readonly reason: 'expired' | 'settled';
  /** The variant everyone gets everywhere, when settled. */
  readonly variant?: string;
  readonly environments: readonly string[];
  readonly changedAt: string | null;
  readonly evaluatedAt: string | null;
  readonly expires?: string;
}

export interface StaleOptions {
  readonly now: Date;
  /** How long a settled flag must be unchanged to be stale (default 30). */
  readonly days?: number;
  /** What flowline.yaml says, when at hand; otherwise the flags' metadata (`temporary`, `expires`). */
  readonly declared?: ReadonlyMap<
    string,
    { readonly temporary: boolean; readonly expires?: string | undefined }
  >;
}

/**
 * Temporary flags to clean up: past their `expires` date, or serving one variant to everyone in
 * every environment (fully on or fully off) and unchanged for `days`. Permanent flags (ops
 * switches, permissions) are never stale.
 */
export function findStale(overview: FlagOverview, options: StaleOptions): StaleFlag[] {
  const now = options.now.getTime();
  const days = options.days ?? 30;
  const keys = new Set<string>();
  for (const env of overview.environments) for (const key of Object.keys(env.definition.flags)) keys.add(key);
  const out: StaleFlag[] = [];
  for (const key of keys) {
    const present = overview.environments.filter((env) => Object.hasOwn(env.definition.flags, key));
    const definitions = present.map((env) => env.definition.flags[key] as FlagDefinition);
    const declared = options.declared?.get(key);
    const temporary = declared?.temporary ?? definitions.some((flag) => flag.metadata?.temporary === true);
    if (!temporary) continue;
    const expiresRaw =
      declared?.expires ?? definitions.map((f) => f.metadata?.expires).find((e) => typeof e === 'string');
    const expires = typeof expiresRaw === 'string' ? expiresRaw : undefined;
    const changedAt = latest(present.map((env) => env.flags[key]?.changedAt ?? null));
    const evaluatedAt = latest(present.map((env) => env.flags[key]?.evaluatedAt ?? null));
    const base = {
      flag: key,
      environments: present.map((env) => env.environment),
      changedAt,
      evaluatedAt,
      ...(expires === undefined ? {} : { expires }),
    };
    if (expires !== undefined && now >= Date.parse(`${expires}T00:00:00Z`) + DAY_MS) {
      out.push({ ...base, reason: 'expired' });
      continue;
    }
    const variants = new Set(definitions.map((flag) => settledVariant(flag, now)));
    const [variant] = variants;
    if (variants.size !== 1 || variant === undefined) continue;
    if (changedAt === null || now - Date.parse(changedAt) < days * DAY_MS) continue;
    out.push({ ...base, reason: 'settled', variant });
  }
  return out;
}

/** The variant a flag serves to everyone at `now`, or undefined when users can get different ones. */
export function settledVariant(flag: FlagDefinition, now: number): string | undefined {
  if (flag.killed === true) return flag.killVariant ?? flag.defaultVariant;
  let enabled = flag.enabled;
  let rules = flag.rules ?? [];
  let fallthrough = flag.fallthrough;
  const schedule = [...(flag.schedule ?? [])].sort((a, b) => timeOf(a.at) - timeOf(b.at));
  for (const change of schedule) {
    if (timeOf(change.at) > now) return undefined; // a change is still to come
    if (change.change.enabled !== undefined) enabled = change.change.enabled;
    if (change.change.rules !== undefined) rules = change.change.rules;
    if (change.change.fallthrough !== undefined) fallthrough = change.change.fallthrough;
  }
  if (!enabled) return flag.defaultVariant;
  if ((flag.prerequisites ?? []).length > 0 || flag.targeting !== undefined) return undefined;
  const last =
    fallthrough ?? (flag.defaultVariant === undefined ? undefined : { variant: flag.defaultVariant });
  if (last === undefined) return undefined;
  const served = new Set([...rules.map((rule) => rule.serve), last].map(onlyVariant));
  const [only] = served;
  return served.size === 1 ? only : undefined;
}

function onlyVariant(serve: ServeDefinition): string | undefined {
  if ('variant' in serve) return serve.variant;
  const weighted = serve.rollout.split.filter((entry) => entry.weight > 0);
  return weighted.length === 1 ? weighted[0]?.variant : undefined;
}

function timeOf(at: string | number): number {
  return typeof at === 'number' ? at : Date.parse(at);
}

function latest(values: readonly (string | null)[]): string | null {
  let out: string | null = null;
  for (const value of values) if (value !== null && (out === null || value > out)) out = value;
  return out;
}
