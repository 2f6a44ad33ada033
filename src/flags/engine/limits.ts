/**
 * Caps on a flag set. Every app that evaluates flags holds the whole set in memory and may run
 * any rule on every request, so the set's size and each rule's cost are bounded at write time.
 */
export interface FlagSetLimits {
  readonly maxFlags: number;
  readonly maxSegments: number;
  readonly maxVariants: number;
  readonly maxRulesPerFlag: number;
  /** Conditions, segment references and percentages in one flag, over all rules and schedules. */
  readonly maxConditionsPerFlag: number;
  readonly maxValuesPerCondition: number;
  /** Keys in a segment's `include` and `exclude` together. */
  readonly maxSegmentKeys: number;
  readonly maxScheduledChanges: number;
  readonly maxPrerequisites: number;
  /** Flags evaluated for one answer, the flag and its prerequisites (with repeats) together. */
  readonly maxPrerequisiteEvaluations: number;
  /** Nesting of `all` / `any` / `not`. */
  readonly maxDepth: number;
  /** Characters in a key, name, attribute or compared value. */
  readonly maxStringLength: number;
  /** Size of the whole definition as JSON. */
  readonly maxBytes: number;
}

export const DEFAULT_LIMITS: FlagSetLimits = {
  maxFlags: 2000,
  maxSegments: 500,
  maxVariants: 100,
  maxRulesPerFlag: 200,
  maxConditionsPerFlag: 1000,
  maxValuesPerCondition: 10_000,
  maxSegmentKeys: 50_000,
  maxScheduledChanges: 50,
  maxPrerequisites: 10,
  maxPrerequisiteEvaluations: 50,
  maxDepth: 16,
  maxStringLength: 1024,
  maxBytes: 4 * 1024 * 1024,
};
