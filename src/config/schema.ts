import { z } from 'zod';
import {
  dnsLabel,
  duration,
  durationWithDefault,
  envVarName,
  exactlyOne,
  identifier,
} from './schema-common.js';
import { flagSchema, segmentSchema } from './schema-flags.js';
import { buildSchema, pipelineSchema, runSchema, stageSchema, stepSchema } from './schema-pipeline.js';
import { analysisSchema, environmentSchema } from './schema-release.js';

/**
 * The whole of flowline.yaml as one zod schema: the single source of the parser's structural
 * checks and of the published JSON Schema. Cross-references (a `needs` naming a stage, a
 * `templateName` naming a template) are checked afterwards by rules.ts.
 */

export const NOTIFY_EVENTS = [
  'run.failed',
  'trunk.red',
  'trunk.green',
  'deployment.started',
  'deployment.succeeded',
  'deployment.failed',
  'release.paused',
  'release.promoted',
  'release.aborted',
  'release.rolledBack',
  'analysis.failed',
  'flag.changed',
  'flag.killed',
  'incident.opened',
  'incident.resolved',
] as const;

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
  .describe('The quality plan (QASP): DORA targets the delivery report is measured against.');

const channelSchema = exactlyOne(
  z
    .strictObject({
      slack: z
        .strictObject({
          webhookSecret: envVarName().describe('Secret (listed in `secrets`) holding the Slack webhook URL.'),
        })
        .optional()
        .describe('A Slack-compatible incoming webhook.'),
      pagerduty: z
        .strictObject({
          routingKeySecret: envVarName().describe(
            'Secret (listed in `secrets`) holding the Events API v2 routing key.',
          ),
          severity: z.enum(['critical', 'error', 'warning', 'info']).default('error'),
        })
        .optional()
        .describe('PagerDuty Events API v2.'),
      webhook: z
        .strictObject({
          url: z.url().describe('URL receiving a POST per event.'),
          signingSecret: envVarName()
            .optional()
            .describe('Secret (listed in `secrets`) used to sign the body (HMAC-SHA256).'),
        })
        .optional()
        .describe('A generic signed webhook.'),
    })
    .meta({ minProperties: 1, maxProperties: 1 })
    .describe('Where notifications go: one of `slack`, `pagerduty`, `webhook`.'),
  ['slack', 'pagerduty', 'webhook'],
  'a channel',
);

const notifySchema = z
  .strictObject({
    channels: z.record(identifier(), channelSchema).default({}).describe('Notification channels by name.'),
    routes: z
      .array(
        z.strictObject({
          events: z.array(z.enum(NOTIFY_EVENTS)).min(1).describe('Events sent along this route.'),
          channels: z.array(identifier()).min(1).describe('Channels (names under `notify.channels`).'),
          environments: z
            .array(dnsLabel())
            .optional()
            .describe('Only events of these environments. Default: all.'),
        }),
      )
      .default([])
      .describe('Which events go to which channels.'),
  })
  .prefault({})
  .describe('Incidents and outgoing events.');

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
      .array(envVarName())
      .default([])
      .describe('Names of secrets: values come from the environment or secret store, masked in logs.'),
    run: runSchema.optional(),
    environments: z
      .record(dnsLabel(), environmentSchema)
      .default({})
      .describe('Environments by name, e.g. `preview`, `staging`, `production`.'),
    analysis: analysisSchema,
    segments: z.record(identifier(), segmentSchema).default({}).describe('Reusable user segments by name.'),
    flags: z.record(identifier(), flagSchema).default({}).describe('Feature flags by key.'),
    quality: qualitySchema,
    notify: notifySchema,
  })
  .describe('flowline.yaml: how Flowline builds, tests, deploys and releases this service.');

/** The schema's output: structurally valid, simple defaults applied, durations in ms. */
export type ParsedConfig = z.output<typeof configSchema>;
