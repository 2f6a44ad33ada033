import type {
  FlagDefinition,
  FlagSetDefinition,
  FlagType,
  FlagValue,
  MatchDefinition,
  MetadataValue,
  RuleDefinition,
} from '../engine/types.js';
import { type ImportedFlagNote, type ImportResult, Inexpressible } from '../migration.js';
import { fractional, type Guard, guard, type LogicNotes, resolveRefs, varName } from './logic.js';

/**
 * Imports flagd flag definitions (https://flagd.dev/reference/flag-definitions/). Splits keep
 * flagd's bucketing (`bucketing: 'flagd'`), so no user changes variant. A flag whose targeting
 * has no exact equivalent is left out and reported; corner cases where types are coerced
 * differently are imported and noted.
 */
export function importFlagd(source: string | unknown): ImportResult {
  let document: unknown = source;
  if (typeof source === 'string') {
    try {
      document = JSON.parse(source);
    } catch (error) {
      return invalid(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (!isRecord(document) || !isRecord(document.flags))
    return invalid('a flagd document has a `flags` object');
  const evaluators = isRecord(document.$evaluators) ? document.$evaluators : {};
  const setMetadata = metadataOf(document.metadata);
  const flags: Record<string, FlagDefinition> = {};
  const skipped: ImportedFlagNote[] = [];
  const notes: ImportedFlagNote[] = [];
  for (const [key, raw] of Object.entries(document.flags)) {
    try {
      const { flag, notes: flagNotes } = importFlag(key, raw, evaluators);
      Object.defineProperty(flags, key, { value: flag, enumerable: true });
      notes.push(...flagNotes.map((message) => ({ flag: key, message })));
    } catch (error) {
      if (!(error instanceof Inexpressible)) throw error;
      skipped.push({ flag: key, message: error.message });
    }
  }
  const definition: FlagSetDefinition = {
    flags,
    ...(setMetadata === undefined ? {} : { metadata: setMetadata }),
  };
  return { ok: true, definition, skipped, notes };
}

function importFlag(
  key: string,
  raw: unknown,
  evaluators: Record<string, unknown>,
): { flag: FlagDefinition; notes: string[] } {
  if (!isRecord(raw)) throw new Inexpressible('the flag is not an object');
  const { state, variants, defaultVariant } = raw;
  if (state !== 'ENABLED' && state !== 'DISABLED') throw new Inexpressible(`state ${JSON.stringify(state)}`);
  if (!isRecord(variants) || Object.keys(variants).length === 0) throw new Inexpressible('no variants');
  if (typeof defaultVariant !== 'string' || defaultVariant === '') {
    throw new Inexpressible(
      'no defaultVariant: flagd then answers with the caller’s default value, which a Flowline flag cannot',
    );
  }
  if (!Object.hasOwn(variants, defaultVariant))
    throw new Inexpressible(`defaultVariant \`${defaultVariant}\` is not a variant`);
  const logicNotes: LogicNotes = { coercion: false, catMissing: false };
  const targeting = resolveRefs(raw.targeting ?? {}, evaluators);
  const rules =
    isRecord(targeting) && Object.keys(targeting).length === 0
      ? []
      : outcome(targeting, [], key, defaultVariant, logicNotes);
  for (const rule of rules) {
    const serve = rule.serve;
    const names = 'variant' in serve ? [serve.variant] : serve.rollout.split.map((entry) => entry.variant);
    for (const name of names) {
      if (!Object.hasOwn(variants, name))
        throw new Inexpressible(`targeting serves \`${name}\`, which is not a variant (flagd answers ERROR)`);
    }
  }
  const metadata = metadataOf(raw.metadata);
  const flag: FlagDefinition = {
    type: typeOf(Object.values(variants) as FlagValue[]),
    variants: variants as Record<string, FlagValue>,
    defaultVariant,
    enabled: state === 'ENABLED',
    ...(rules.length === 0 ? {} : { rules }),
    ...(metadata === undefined ? {} : { metadata }),
  };
  const notes: string[] = [];
  if (state === 'DISABLED') {
    notes.push(
      'disabled: flagd answers the caller’s default value, Flowline the defaultVariant (both say DISABLED)',
    );
  }
  if (logicNotes.coercion) {
    notes.push(
      'JsonLogic coerces types: a missing attribute compares as 0 in `<`/`>`, and text against a number makes flagd answer ERROR; here such conditions do not match',
    );
  }
  if (logicNotes.catMissing) {
    notes.push(
      '`fractional` over `cat`: flagd buckets a context without the attribute as if it were empty; here it gets the defaultVariant',
    );
  }
  return { flag, notes };
}

/**
 * Rules for an expression that yields a variant under `guards`. Each call covers every context
 * its guards admit, so emitting branches in order keeps JsonLogic's "first true branch" meaning.
 */
function outcome(
  node: unknown,
  guards: readonly MatchDefinition[],
  flagKey: string,
  defaultVariant: string,
  notes: LogicNotes,
): RuleDefinition[] {
  const when =
    guards.length === 0
      ? {}
      : { when: guards.length === 1 ? (guards[0] as MatchDefinition) : { all: [...guards] } };
  if (node === null || node === undefined) {
    return guards.length === 0 ? [] : [{ ...when, serve: { variant: defaultVariant } }];
  }
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') {
    return [{ ...when, serve: { variant: String(node) } }];
  }
  if (varName(node) !== undefined)
    throw new Inexpressible('targeting returns an attribute as the variant name');
  const [op, args] = single(node);
  if (op === 'fractional')
    return [{ ...when, serve: { rollout: fractional(args, flagKey, defaultVariant, notes) } }];
  if (op !== 'if') {
    // A bare condition yields true or false, which flagd reads as the variant `true` / `false`.
    return outcome({ if: [node, 'true', 'false'] }, guards, flagKey, defaultVariant, notes);
  }
  if (args.length < 2) throw new Inexpressible('`if` with fewer than two arguments');
  const rules: RuleDefinition[] = [];
  for (let i = 0; i + 1 < args.length; i += 2) {
    const test: Guard = guard(args[i], notes);
    if (test === 'never') continue;
    const branch = test === 'always' ? guards : [...guards, test];
    rules.push(...outcome(args[i + 1], branch, flagKey, defaultVariant, notes));
    if (test === 'always') return rules;
  }
  const otherwise = args.length % 2 === 1 ? args.at(-1) : null;
  rules.push(...outcome(otherwise, guards, flagKey, defaultVariant, notes));
  return rules;
}

function single(node: unknown): [string, unknown[]] {
  if (!isRecord(node)) throw new Inexpressible(`targeting ${JSON.stringify(node)}`);
  const keys = Object.keys(node);
  if (keys.length !== 1) throw new Inexpressible('a JsonLogic operation with several keys');
  const op = keys[0] as string;
  const raw = node[op];
  return [op, Array.isArray(raw) ? raw : [raw]];
}

function typeOf(values: readonly FlagValue[]): FlagType {
  for (const type of ['boolean', 'string', 'number'] as const) {
    if (values.every((value) => typeof value === type)) return type;
  }
  return 'json';
}

function metadataOf(raw: unknown): Record<string, MetadataValue> | undefined {
  if (!isRecord(raw)) return undefined;
  const out: Record<string, MetadataValue> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      Object.defineProperty(out, key, { value, enumerable: true });
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): ImportResult {
  return { ok: false, error: message };
}
