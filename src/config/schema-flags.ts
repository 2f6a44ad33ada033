import { z } from 'zod';
// The engine's list, so flowline.yaml accepts exactly the operators the engine evaluates.
import { OPERATORS } from '../flags/engine/index.js';
import { dnsLabel, exactlyOne, identifier, nonEmpty } from './schema-common.js';

/** Feature flags and the segments they target. Evaluation answers like OpenFeature. */

export const FLAG_TYPES = ['boolean', 'string', 'number', 'json'] as const;

const ruleValue = z.union([z.string(), z.number(), z.boolean()]);

const conditionFields = {
  attribute: nonEmpty().describe(
    'Attribute of the evaluation context, e.g. `email`, `country`, `appVersion`.',
  ),
  op: z.enum(OPERATORS).describe('How the attribute is compared with `values`.'),
  values: z
    .array(ruleValue)
    .min(1)
    .describe('Values compared with; list operators match any of them. `matches` takes regular expressions.'),
};

const conditionSchema = z
  .strictObject(conditionFields)
  .describe('A test on one attribute of the evaluation context.');

export const segmentSchema = z
  .strictObject({
    description: z.string().optional(),
    include: z.array(nonEmpty()).default([]).describe('Targeting keys (user ids) always in the segment.'),
    rules: z.array(conditionSchema).default([]).describe('Conditions on context attributes.'),
    match: z.enum(['all', 'any']).default('all').describe('Whether all rules or any rule must match.'),
  })
  .describe('A reusable group of users for flag targeting.');

const rolloutSchema = z
  .strictObject({
    bucketBy: nonEmpty()
      .default('targetingKey')
      .describe('Context attribute hashed to place a user in a bucket; the same user stays in it.'),
    variants: z
      .record(identifier(), z.number().min(0).max(100))
      .describe('Percentage per variant, summing to 100; steps of 0.01.'),
  })
  .describe('Sticky percentage split between variants.');

const flagRuleSchema = exactlyOne(
  z
    .strictObject({
      name: nonEmpty().optional().describe('Label shown in evaluation reasons.'),
      segment: identifier().optional().describe('Segment the user must be in.'),
      attribute: conditionFields.attribute.optional(),
      op: conditionFields.op.optional(),
      values: conditionFields.values.optional(),
      variant: identifier().optional().describe('Variant served when the rule matches.'),
      rollout: rolloutSchema.optional().describe('Percentage split served when the rule matches.'),
    })
    .describe('Targeting rule: a segment and/or a condition, serving a variant or a rollout.'),
  ['variant', 'rollout'],
  'a flag rule',
);

const flagEnvironmentSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Off switch: when false every evaluation answers DISABLED with the caller’s default value.'),
    rules: z.array(flagRuleSchema).default([]).describe('Rules tried in order; the first match wins.'),
    rollout: rolloutSchema.optional().describe('Split served when no rule matches.'),
    defaultVariant: identifier()
      .optional()
      .describe("Variant served when no rule matches. Default: the flag's `defaultVariant`."),
    schedule: z
      .array(
        z.strictObject({
          at: z.iso
            .datetime({ offset: true })
            .describe('When, as ISO 8601 with a zone: `2026-12-01T09:00:00Z`.'),
          enabled: z.boolean().optional().describe('Turn the flag on or off at that time.'),
          rollout: rolloutSchema.optional().describe('Switch to this split at that time.'),
        }),
      )
      .default([])
      .describe('Planned changes, applied at their time.'),
    killOnRollback: z
      .boolean()
      .default(false)
      .describe('Disable the flag here when a release of this environment fails its analysis.'),
  })
  .describe('The flag in one environment.');

export const flagSchema = z
  .strictObject({
    type: z.enum(FLAG_TYPES).default('boolean').describe('Type of every variant value.'),
    description: z.string().optional(),
    owner: nonEmpty().optional().describe('Team or person answering for the flag.'),
    temporary: z
      .boolean()
      .default(true)
      .describe('A release flag to delete after rollout (true) or a permanent ops/permission flag.'),
    expires: z.iso.date().optional().describe('Date after which a temporary flag is reported as stale.'),
    variants: z
      .record(identifier(), z.unknown())
      .optional()
      .describe('Variant names to values. Default for boolean flags: `{ on: true, off: false }`.'),
    defaultVariant: identifier()
      .optional()
      .describe('Variant served when the flag is off or has no rule. Default for boolean flags: `off`.'),
    prerequisites: z
      .array(
        z.strictObject({
          flag: identifier().describe('Another flag.'),
          variant: identifier().describe('Variant the other flag must serve for this one to be evaluated.'),
        }),
      )
      .default([])
      .describe('Flags that must serve a given variant first; otherwise the default variant is served.'),
    environments: z
      .record(dnsLabel(), flagEnvironmentSchema)
      .default({})
      .describe('Settings per environment. Environments not listed serve the default variant.'),
  })
  .describe('A feature flag.');
