import { createRequire } from 'node:module';
import type { CompiledFlagSet } from '../engine/compile.js';
import { evaluate } from '../engine/evaluate.js';
import type { FlagValue } from '../engine/types.js';

/**
 * For tests: unleash-client's own evaluator, offline and synchronous, and the comparison of its
 * answers with Flowline's for imported features.
 *
 * The `Unleash` class evaluates through an `UnleashClient` (lib/client.js) over a repository; we
 * build that client directly over an in-memory repository, with the library's default strategies.
 * It is the same code path `Unleash.isEnabled`/`getVariant` run once bootstrapped, minus timers,
 * metrics and the static context (appName, environment), and it can be built per generated case.
 * unleash-client is a dev dependency: nothing outside tests imports this file.
 */

const require = createRequire(import.meta.url);

interface ClientVariant {
  readonly name: string;
  readonly enabled: boolean;
  readonly feature_enabled?: boolean;
  readonly featureEnabled?: boolean;
  readonly payload?: unknown;
}
interface Client {
  isEnabled(name: string, context: UnleashContext, fallback: () => boolean): boolean;
  getVariant(name: string, context: UnleashContext): ClientVariant;
}
type ClientClass = new (
  repository: { getToggle(name: string): unknown; getSegment(id: number): unknown },
  strategies: readonly unknown[],
) => Client;

const UnleashClient = (require('unleash-client/lib/client') as { default: ClientClass }).default;
const { defaultStrategies } = require('unleash-client/lib/strategy') as { defaultStrategies: unknown[] };

/** unleash-client's context: fixed fields, and everything else under `properties`. */
export interface UnleashContext {
  readonly userId?: string;
  readonly sessionId?: string;
  readonly remoteAddress?: string;
  readonly currentTime?: Date;
  readonly properties?: Readonly<Record<string, string>>;
}

export interface UnleashReference {
  isEnabled(name: string, context: UnleashContext): boolean;
  /** getVariant's answer without the deprecated `featureEnabled` duplicate. */
  getVariant(name: string, context: UnleashContext): ClientVariant;
}

/** unleash-client evaluating a client API document (`features`, `segments`). */
export function unleashReference(document: {
  features: readonly unknown[];
  segments?: readonly unknown[];
}): UnleashReference {
  const features = new Map(document.features.map((f) => [(f as { name: string }).name, f]));
  const segments = new Map((document.segments ?? []).map((s) => [(s as { id: number }).id, s]));
  const client = new UnleashClient(
    { getToggle: (name) => features.get(name), getSegment: (id) => segments.get(id) },
    defaultStrategies,
  );
  return {
    isEnabled: (name, context) => client.isEnabled(name, context, () => false),
    getVariant: (name, context) => {
      const { featureEnabled: _, ...variant } = client.getVariant(name, context);
      return variant;
    },
  };
}

/** The Flowline context for an Unleash one: `userId` is the targeting key, properties are flat. */
export function flowlineContext(context: UnleashContext): Record<string, unknown> {
  const { userId, properties, ...rest } = context;
  return { ...(userId === undefined ? {} : { targetingKey: userId }), ...rest, ...properties };
}

/**
 * Unleash's answer and ours for one imported feature, as comparable JSON texts: `isEnabled` for a
 * boolean flag, `getVariant` for a flag with variants. A disabled feature is imported as a flag
 * serving its off variant to everyone, so every answer carries its value.
 */
export function answers(
  reference: UnleashReference,
  flags: CompiledFlagSet,
  name: string,
  context: UnleashContext,
): { unleash: string; flowline: string } {
  const result = evaluate(flags, name, flowlineContext(context));
  const definition = flags.definition.flags[name];
  const value: FlagValue | undefined = result.value;
  if (typeof value === 'boolean' || definition?.type === 'boolean')
    return { unleash: String(reference.isEnabled(name, context)), flowline: String(value) };
  return { unleash: canonical(reference.getVariant(name, context)), flowline: canonical(value) };
}

/** JSON with sorted keys and without undefined members, to compare values built in different orders. */
export function canonical(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return `{${entries
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
    .join(',')}}`;
}
