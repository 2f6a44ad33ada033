import type {
  FlagDefinition,
  FlagSetDefinition,
  MatchDefinition,
  RuleDefinition,
  SegmentDefinition,
  ServeDefinition,
} from '../engine/types.js';
import { keepCompilable } from '../import-check.js';
import type { ImportedFlagNote, ImportResult } from '../migration.js';
import { Inexpressible } from '../migration.js';
import {
  ALWAYS,
  attributeOf,
  type ConstraintNotes,
  constraint,
  DEFAULT_VARIANT_STICKINESS,
  NEVER,
  RANDOM,
} from './constraints.js';
import { prerequisites as dependencyPrerequisites } from './dependencies.js';
import { type ClientFeature, toClientFeatures, type UnleashVariant } from './export-format.js';
import { strategyCondition } from './strategies.js';
import { type VariantTable, variantTable } from './variants.js';

/**
 * Imports an Unleash feature export: the client API / bootstrap shape (`features` with their
 * `strategies`), its delta form (`events`), or the admin export (`features`, `featureStrategies`,
 * `featureEnvironments`). Evaluate the result with Unleash's `userId` as `targetingKey` and
 * `properties` as attributes. The reference is unleash-client 6 (see docs/adr/0013).
 *
 * Partial by design: a feature with no exact equivalent is listed in `skipped` with the reason in
 * Unleash's terms, and the set is compiled feature by feature ({@link keepCompilable}), so one
 * feature can never make the whole import fail. Variants: see variants.ts.
 */
export function importUnleash(
  source: string | unknown,
  options: { environment?: string } = {},
): ImportResult {
  let document: unknown = source;
  if (typeof source === 'string') {
    try {
      document = JSON.parse(source);
    } catch (error) {
      return { ok: false, error: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  const client = toClientFeatures(document, options.environment);
  if (typeof client === 'string') return { ok: false, error: client };
  const segments: Record<string, SegmentDefinition> = {};
  const segmentStates: SegmentStates = new Map();
  for (const segment of client.segments) {
    const segmentNotes: ConstraintNotes = new Set();
    try {
      const parts = segment.constraints.map((c) => constraint(c, segmentNotes));
      const when =
        parts.length === 0 ? ALWAYS : parts.length === 1 ? (parts[0] as MatchDefinition) : { all: parts };
      define(segments, segmentName(segment.id), { when });
      segmentStates.set(segment.id, { notes: segmentNotes });
    } catch (error) {
      if (!(error instanceof Inexpressible)) throw error;
      segmentStates.set(segment.id, { problem: error.message });
    }
  }
  const byName = new Map(client.features.map((feature) => [feature.name, feature]));
  const flags: Record<string, FlagDefinition> = {};
  const skipped: ImportedFlagNote[] = [];
  const notes: ImportedFlagNote[] = [];
  for (const feature of client.features) {
    try {
      const flag = importFeature(feature, byName, segmentStates);
      define(flags, feature.name, flag.definition);
      for (const message of flag.notes) notes.push({ flag: feature.name, message });
    } catch (error) {
      if (!(error instanceof Inexpressible)) throw error;
      skipped.push({ flag: feature.name, message: error.message });
    }
  }
  dropOrphans(flags, skipped);
  const definition: FlagSetDefinition = { ...(Object.keys(segments).length > 0 ? { segments } : {}), flags };
  const checked = keepCompilable({ ok: true, definition, skipped, notes });
  if (!checked.ok) return checked;
  const kept = new Set(Object.keys(checked.definition.flags));
  return { ...checked, notes: checked.notes.filter((note) => kept.has(note.flag)) };
}

/** Each Unleash segment: translated (with its notes), or why not. */
type SegmentStates = Map<number, { notes: ConstraintNotes } | { problem: string }>;

/** Sets a key that may be `__proto__` or the like as a plain own property (flag names come from the file). */
function define<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, configurable: true, writable: true });
}

function segmentName(id: number): string {
  return `unleash-segment-${id}`;
}

function importFeature(
  feature: ClientFeature,
  byName: ReadonlyMap<string, ClientFeature>,
  segmentStates: SegmentStates,
): { definition: FlagDefinition; notes: string[] } {
  const notes: ConstraintNotes = new Set<string>();
  const table = variantTable(feature);
  const boolean = table.boolean;
  const names = table;
  const rules: RuleDefinition[] = [];
  for (const strategy of feature.strategies) {
    const parts: MatchDefinition[] = strategy.constraints.map((c) => constraint(c, notes));
    for (const id of strategy.segments) parts.push(segmentMatch(id, segmentStates, notes));
    const own = strategyCondition(strategy.name, strategy.parameters, notes);
    if (own !== undefined) parts.push(own);
    const when = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { all: parts };
    const strategyVariants = strategy.variants.filter((v) => v.weight > 0);
    if (!boolean && strategyVariants.length > 0) {
      const stickiness = strategy.variants[0]?.stickiness ?? stringParam(strategy.parameters.stickiness);
      rules.push(
        ...variantRules(
          when,
          strategy.variants,
          String(strategy.parameters.groupId),
          stickiness,
          table,
          notes,
        ),
      );
    } else if (!boolean && feature.variants.some((v) => v.weight > 0)) {
      rules.push(
        ...variantRules(when, feature.variants, feature.name, feature.variants[0]?.stickiness, table, notes),
      );
    } else {
      rules.push({ ...(when === undefined ? {} : { when }), serve: { variant: names.on } });
    }
  }
  let fallthrough: ServeDefinition = { variant: names.off };
  if (feature.strategies.length === 0) {
    const featureRules =
      !boolean && feature.variants.some((v) => v.weight > 0)
        ? variantRules(
            undefined,
            feature.variants,
            feature.name,
            feature.variants[0]?.stickiness,
            table,
            notes,
          )
        : [];
    rules.push(...featureRules.slice(0, -1));
    fallthrough = featureRules.at(-1)?.serve ?? { variant: names.on };
  }
  const prerequisites = dependencyPrerequisites(feature, byName, notes);
  // A disabled Flowline flag answers DISABLED with the caller's default (OpenFeature); Unleash
  // serves its `disabled` variant instead, so a disabled feature serves that variant to everyone.
  const on = feature.enabled;
  const definition: FlagDefinition = {
    type: boolean ? 'boolean' : 'json',
    variants: table.values,
    defaultVariant: names.off,
    enabled: true,
    ...(rules.length === 0 || !on ? {} : { rules }),
    fallthrough: on ? fallthrough : { variant: names.off },
    ...(prerequisites.length === 0 || !on ? {} : { prerequisites }),
    ...(feature.description === undefined ? {} : { description: feature.description }),
  };
  return { definition, notes: [...notes] };
}

/**
 * unleash-client's selectVariantDefinition: overrides first (first variant whose override lists
 * the attribute's value), then a split of the integer weights by murmurhash3js of
 * `${groupId}:${stickiness value}` with seed 86028157.
 */
function variantRules(
  when: MatchDefinition | undefined,
  variants: readonly UnleashVariant[],
  groupId: string,
  stickiness: string | undefined,
  table: VariantTable,
  notes: Set<string>,
): RuleDefinition[] {
  const rules: RuleDefinition[] = [];
  for (const variant of variants) {
    const overrides = variant.overrides.filter((o) => o.values.length > 0);
    if (overrides.length === 0) continue;
    const tests: MatchDefinition[] = overrides.map((o) => ({
      attribute: attributeOf(o.contextName),
      op: 'in',
      values: o.values,
    }));
    const override = tests.length === 1 ? (tests[0] as MatchDefinition) : { any: tests };
    rules.push({
      when: when === undefined ? override : { all: [when, override] },
      serve: { variant: table.keyOf(variant) },
    });
  }
  const custom = stickiness !== undefined && stickiness !== 'default';
  notes.add(
    custom
      ? `variants sticky to \`${stickiness}\`: a user without it gets a random variant on each evaluation, as in Unleash`
      : 'variants by default stickiness: a user without targetingKey, sessionId and remoteAddress gets a random variant on each evaluation, as in Unleash',
  );
  const split = variants.map((v) => ({ variant: table.keyOf(v), weight: v.weight }));
  const serve: ServeDefinition = {
    rollout: {
      bucketing: 'unleash',
      salt: groupId,
      bucketBy: custom ? [attributeOf(stickiness), RANDOM] : DEFAULT_VARIANT_STICKINESS,
      split,
    },
  };
  rules.push({ ...(when === undefined ? {} : { when }), serve });
  return rules;
}

/** A strategy's segment: the translated segment, never (missing from the export), or the reason it is not. */
function segmentMatch(id: number, states: SegmentStates, notes: ConstraintNotes): MatchDefinition {
  const state = states.get(id);
  // unleash-client yields `undefined` for a segment it does not have, which fails the strategy.
  if (state === undefined) return NEVER;
  if ('problem' in state)
    throw new Inexpressible(`it uses segment ${id}, which Flowline cannot import: ${state.problem}`);
  for (const note of state.notes) notes.add(`segment ${id}: ${note}`);
  return { segment: segmentName(id) };
}

function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Drops flags whose prerequisites were not imported, until none is left. */
function dropOrphans(flags: Record<string, FlagDefinition>, skipped: ImportedFlagNote[]): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const [key, flag] of Object.entries(flags)) {
      const missing = flag.prerequisites?.find((p) => !Object.hasOwn(flags, p.flag));
      if (missing === undefined) continue;
      delete flags[key];
      skipped.push({ flag: key, message: `it depends on \`${missing.flag}\`, which was not imported` });
      changed = true;
    }
  }
}
