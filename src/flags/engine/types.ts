/**
 * The flag set definition (what is stored, diffed, imported and exported: plain JSON) and the
 * shape of an evaluation answer (OpenFeature's resolution details). docs/flags.md explains each.
 */

export type FlagType = 'boolean' | 'string' | 'number' | 'json';

export type FlagValue =
  | boolean
  | string
  | number
  | null
  | readonly FlagValue[]
  | { readonly [key: string]: FlagValue };

export const OPERATORS = [
  'equals',
  'notEquals',
  'in',
  'notIn',
  'contains',
  'startsWith',
  'endsWith',
  'matches',
  'lt',
  'lte',
  'gt',
  'gte',
  'semverEq',
  'semverLt',
  'semverLte',
  'semverGt',
  'semverGte',
  'before',
  'after',
  'inCidr',
] as const;

export type Operator = (typeof OPERATORS)[number];

/** Operators that compare with exactly one value (the others take a list). */
export const SINGLE_VALUE_OPERATORS: ReadonlySet<Operator> = new Set<Operator>([
  'equals',
  'notEquals',
  'lt',
  'lte',
  'gt',
  'gte',
  'semverEq',
  'semverLt',
  'semverLte',
  'semverGt',
  'semverGte',
  'before',
  'after',
]);
export type RuleValue = string | number | boolean;

/**
 * A test on one attribute of the evaluation context. `attribute` may be a dotted path into nested
 * objects (`user.plan`); `$now` is the evaluation time (for `before`/`after`). A missing or
 * wrongly typed attribute never matches, negative operators included.
 */
export interface ConditionDefinition {
  readonly attribute: string;
  readonly op: Operator;
  /**
   * List operators (`in`, `notIn`, `contains`, `startsWith`, `endsWith`, `matches`, `inCidr`)
   * match any value.
   */
  readonly values: readonly RuleValue[];
  /** Compare strings ignoring case (string operators and `matches`). */
  readonly ignoreCase?: boolean;
}

/** Which hash and bucket mapping a split uses; imported flags keep their origin's. */
export type Bucketing = 'flowline' | 'flagd' | 'unleash';

/** The attribute(s) hashed to place a user in a bucket: the first one present is used. */
export type BucketBy = string | readonly string[];

/** True for a sticky share of users: `percentage` of them (0–100, steps of 0.001). */
export interface PercentageDefinition {
  readonly percentage: number;
  /** Default `targetingKey`. */
  readonly bucketBy?: BucketBy;
  /** Hashed before the attribute; default the flag key. Two flags with one salt bucket alike. */
  readonly salt?: string;
  readonly bucketing?: Bucketing;
}

export type MatchDefinition =
  | ConditionDefinition
  | { readonly all: readonly MatchDefinition[] }
  | { readonly any: readonly MatchDefinition[] }
  | { readonly not: MatchDefinition }
  | { readonly segment: string }
  | PercentageDefinition;

export interface WeightedVariant {
  readonly variant: string;
  /** `flowline`: a percentage (sum 100, steps of 0.001); `flagd`/`unleash`: an integer share. */
  readonly weight: number;
}

export interface RolloutDefinition {
  readonly bucketBy?: BucketBy;
  readonly salt?: string;
  readonly bucketing?: Bucketing;
  readonly split: readonly WeightedVariant[];
}

export type ServeDefinition = { readonly variant: string } | { readonly rollout: RolloutDefinition };

/** Rules are tried in order; the first whose `when` matches serves. No `when`: always matches. */
export interface RuleDefinition {
  readonly name?: string;
  readonly when?: MatchDefinition;
  readonly serve: ServeDefinition;
}

/** What a scheduled change replaces; fields left out stay as they were. */
export interface FlagChange {
  readonly enabled?: boolean;
  /** Not allowed on a flag with `targeting`. */
  readonly rules?: readonly RuleDefinition[];
  readonly fallthrough?: ServeDefinition;
}

export interface ScheduledChange {
  /** ISO 8601 with a zone, or epoch milliseconds. Applied when `now >= at`. */
  readonly at: string | number;
  readonly change: FlagChange;
}

export interface PrerequisiteDefinition {
  readonly flag: string;
  /** The prerequisite is met when the other flag serves one of these variants. */
  readonly variants: readonly string[];
}

export type MetadataValue = string | number | boolean;

export interface FlagDefinition {
  readonly type: FlagType;
  readonly variants: Readonly<Record<string, FlagValue>>;
  /**
   * Served when a prerequisite fails or nothing else applies. Absent: those answers carry no
   * value, so OpenFeature returns the caller's default (reason DEFAULT), as flagd does.
   */
  readonly defaultVariant?: string;
  /** Off: every evaluation answers DISABLED with no value (the caller's default). A schedule may turn it on. */
  readonly enabled: boolean;
  /** The kill switch: wins over everything, schedules included. */
  readonly killed?: boolean;
  /** Served while killed; default `defaultVariant`. */
  readonly killVariant?: string;
  readonly rules?: readonly RuleDefinition[];
  /** Served when enabled and no rule matches; default `{ variant: defaultVariant }`. */
  readonly fallthrough?: ServeDefinition;
  /**
   * flagd targeting (JsonLogic with `fractional`, `sem_ver`, `starts_with`, `ends_with`),
   * evaluated exactly as flagd does, in place of `rules` and `fallthrough`. See docs/flags.md.
   */
  readonly targeting?: unknown;
  readonly prerequisites?: readonly PrerequisiteDefinition[];
  readonly schedule?: readonly ScheduledChange[];
  readonly description?: string;
  /** Returned with every evaluation as OpenFeature flag metadata. */
  readonly metadata?: Readonly<Record<string, MetadataValue>>;
}

/**
 * A reusable group of users. `exclude` wins over `include`, which wins over `when`. The lists
 * hold values of `keyAttribute` (default `targetingKey`).
 */
export interface SegmentDefinition {
  readonly description?: string;
  readonly keyAttribute?: string;
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  /** May not reference segments. Absent: only `include` is in the segment. */
  readonly when?: MatchDefinition;
}

/** The flags of one service in one environment. */
export interface FlagSetDefinition {
  readonly service?: string;
  readonly environment?: string;
  readonly segments?: Readonly<Record<string, SegmentDefinition>>;
  readonly flags: Readonly<Record<string, FlagDefinition>>;
  readonly metadata?: Readonly<Record<string, MetadataValue>>;
}

export type EvaluationContext = Readonly<Record<string, unknown>>;

export type Reason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DEFAULT' | 'DISABLED' | 'ERROR';

export type EvaluationErrorCode =
  | 'FLAG_NOT_FOUND'
  | 'TYPE_MISMATCH'
  | 'PARSE_ERROR'
  | 'TARGETING_KEY_MISSING'
  | 'INVALID_CONTEXT'
  | 'GENERAL';

/** OpenFeature's resolution details. Results are frozen and may be shared between calls. */
export interface EvaluationResult {
  /**
   * Absent when the flag is unknown, has another type than expected, is disabled, or has no
   * variant to serve: the caller's default value then applies.
   */
  readonly value?: FlagValue;
  readonly variant?: string;
  readonly reason: Reason;
  readonly errorCode?: EvaluationErrorCode;
  readonly errorMessage?: string;
  readonly flagMetadata?: Readonly<Record<string, MetadataValue>>;
}

export interface EvaluateOptions {
  /** Evaluation time (epoch ms or Date) for schedules and `$now`; default `Date.now()`. */
  readonly now?: number | Date;
  /** OpenFeature's `object` is accepted for `json`. A different flag type gives TYPE_MISMATCH. */
  readonly expectedType?: FlagType | 'object';
}

/** A problem found while compiling; `path` is dotted, e.g. `flags.checkout.rules[0].when.values[1]`. */
export interface FlagIssue {
  readonly code: string;
  readonly message: string;
  readonly path: string;
  readonly hint?: string;
}
