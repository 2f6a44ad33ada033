import { z } from 'zod';
import { dnsLabel, envVarName, identifier, notSupported } from './schema-common.js';
import { flagSchema, segmentSchema } from './schema-flags.js';
import { buildSchema, pipelineSchema, runSchema, stageSchema, stepSchema } from './schema-pipeline.js';
import { qualitySchema } from './schema-quality.js';
import { analysisSchema, environmentSchema } from './schema-release.js';

/**
 * The whole of flowline.yaml as one zod schema: the single source of the parser's structural
 * checks and of the published JSON Schema. Cross-references (a `needs` naming a stage, a
 * `templateName` naming a template) are checked afterwards by rules.ts.
 */

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
    quality: qualitySchema,
    notify: notSupported(
      '`notify` is not supported yet: Flowline sends no notifications, so these channels would never be used',
      'remove the `notify` section; docs/config.md lists what is supported',
    ),
  })
  .describe('flowline.yaml: how Flowline builds, tests, deploys and releases this service.');

/** The schema's output: structurally valid, simple defaults applied, durations in ms. */
export type ParsedConfig = z.output<typeof configSchema>;
