import { z } from 'zod';
import {
  dnsLabel,
  duration,
  durationWithDefault,
  envVarName,
  identifier,
  notSupported,
} from './schema-common.js';
import { flagSchema, segmentSchema } from './schema-flags.js';
import { buildSchema, pipelineSchema, runSchema, stageSchema, stepSchema } from './schema-pipeline.js';
import { analysisSchema, environmentSchema } from './schema-release.js';

/**
 * The whole of flowline.yaml as one zod schema: the single source of the parser's structural
 * checks and of the published JSON Schema. Cross-references (a `needs` naming a stage, a
 * `templateName` naming a template) are checked afterwards by rules.ts.
 */

const qualitySchema = z
  .strictObject({
    window: durationWithDefault('Period the report measures, counting back from now.', '30d'),
    targets: z
      .strictObject({
        deploymentFrequency: z
          .strictObject({
            atLeast: z.number().positive().describe('Minimum number of production deployments…'),
            per: z.enum(['day', 'week', 'month']).describe('…per this period.'),
          })
          .optional(),
        leadTime: duration('Change lead time (commit to production) must stay under this.').optional(),
        changeFailRate: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe('Share of deployments causing a failure must stay under this (0.15 = 15%).'),
        recoveryTime: duration('Failed-deployment recovery time must stay under this.').optional(),
        reworkRate: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe('Share of deployments that fix a previous one must stay under this.'),
      })
      .prefault({})
      .describe('Targets per DORA key; missing keys are reported without a target.'),
  })
  .prefault({})
  .describe(
    'Not supported yet (refused): the quality plan (QASP), DORA targets the delivery report will be measured against.',
  );

export const configSchema = z
  .strictObject({
    version: z.literal(1).describe('Schema version of this file. Always `1` for now.'),
    service: dnsLabel().describe('Name of the service: a lowercase DNS label, e.g. `checkout`.'),
    build: buildSchema.prefault({}),
    stages: z
      .record(identifier(), stageSchema)
      .default({})
      .describe('Test stages by name; a DAG through `needs`. `build` is the implicit first node.'),
    finally: z
      .array(stepSchema)
      .default([])
      .describe('Steps that always run at the end, even after a failure.'),
    pipeline: pipelineSchema,
    secrets: z
      .array(
        envVarName().refine((name) => !name.startsWith('FLOWLINE_'), {
          message: "FLOWLINE_* names are Flowline's own: no stage or instance receives them",
        }),
      )
      .default([])
      .describe(
        "Names of secrets: instances get them from the server's secret store, stages from the invoking environment; masked in logs.",
      ),
    run: runSchema.optional(),
    environments: z
      .record(dnsLabel(), environmentSchema)
      .default({})
      .describe('Environments by name, e.g. `preview`, `staging`, `production`.'),
    analysis: analysisSchema,
    segments: z.record(identifier(), segmentSchema).default({}).describe('Reusable user segments by name.'),
    flags: z.record(identifier(), flagSchema).default({}).describe('Feature flags by key.'),
    // Not supported yet (rules.ts refuses it); the schema keeps its shape for when it is.
    quality: qualitySchema.meta({ not: {} }),
    notify: notSupported(
      '`notify` is not supported yet: Flowline sends no notifications, so these channels would never be used',
      'remove the `notify` section; docs/config.md lists what is supported',
    ),
  })
  .describe('flowline.yaml: how Flowline builds, tests, deploys and releases this service.');

/** The schema's output: structurally valid, simple defaults applied, durations in ms. */
export type ParsedConfig = z.output<typeof configSchema>;
