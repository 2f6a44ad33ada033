import { z } from 'zod';
import {
  duration,
  durationWithDefault,
  envMap,
  envVarName,
  httpPath,
  identifier,
  jsonPath,
  nonEmpty,
} from './schema-common.js';

/** The build, test stages, run-level pipeline options and how to run the artifact. */

export const stepSchema = z
  .strictObject({
    run: nonEmpty().describe('Shell command to run (`sh -c`). A non-zero exit fails the step.'),
    name: nonEmpty().optional().describe('Label shown in logs and the dashboard. Default: the command.'),
    timeout: duration('Kills the step when it runs longer.').optional(),
    env: envMap('Extra environment variables for this step.'),
    workdir: nonEmpty().optional().describe('Working directory, relative to the repository root.'),
  })
  .describe('One shell command.');

export const buildSchema = z
  .strictObject({
    command: nonEmpty()
      .optional()
      .describe('Shell command that builds the artifact. Omit it when the sources are the artifact.'),
    inputs: z
      .array(nonEmpty())
      .default(['**'])
      .describe('Globs of files hashed into the cache key; an unchanged key reuses the artifact.'),
    env: z
      .array(envVarName())
      .default([])
      .describe('Names of environment variables whose values are part of the cache key.'),
    output: nonEmpty()
      .default('.')
      .describe('Folder bundled as the artifact, relative to the repository root.'),
    exclude: z
      .array(nonEmpty())
      .default([])
      .describe('Globs left out of the artifact. `.git` and `.flowline` are always left out.'),
    timeout: durationWithDefault('Kills the build when it runs longer.', '30m'),
    image: nonEmpty()
      .optional()
      .describe('Container image to build in (Docker executor). Default: run on the host.'),
  })
  .describe('The one build that produces the artifact. Every environment deploys this same artifact.');

export const stageSchema = z
  .strictObject({
    needs: z
      .array(identifier())
      .default(['build'])
      .describe('Stages (or `build`) that must succeed first. Default `[build]`; `[]` starts at once.'),
    steps: z.array(stepSchema).min(1).describe('Commands run in order; the first failure fails the stage.'),
    timeout: durationWithDefault('Kills the stage when it runs longer.', '30m'),
    continueOnFailure: z
      .boolean()
      .default(false)
      .describe('When true, a failure is reported but does not fail the run (like GitLab `allow_failure`).'),
    env: envMap('Environment variables for every step of the stage.'),
    image: nonEmpty()
      .optional()
      .describe('Container image to run the steps in (Docker executor). Default: run on the host.'),
  })
  .describe('A test stage. Stages whose needs are met run in parallel.');

export const pipelineSchema = z
  .strictObject({
    trunk: nonEmpty().default('main').describe('The trunk branch. A red trunk stops promotions (andon).'),
    cancelOnFailure: z.boolean().default(true).describe('Cancel the stages still running when one fails.'),
    andon: z
      .boolean()
      .default(true)
      .describe('Block deployments to protected environments while the last trunk run is red.'),
    maxParallel: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('At most this many stages at once. Default: no limit.'),
    deploy: z
      .strictObject({
        trunk: z
          .array(identifier())
          .default([])
          .describe('Environments deployed, in order, after a green trunk run.'),
        pullRequests: z
          .array(identifier())
          .default([])
          .describe('Environments (usually an ephemeral `preview`) deployed for pull-request runs.'),
      })
      .prefault({})
      .meta({ not: {} })
      .describe('Not supported yet (refused): deployments the pipeline would start by itself.'),
  })
  .prefault({})
  .describe('Run-level options of the pipeline.');

const smokeSchema = z
  .strictObject({
    name: nonEmpty().optional().describe('Name of the check. Default: method and path.'),
    path: httpPath().describe('Request path, for example `/version`.'),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    headers: z.record(z.string(), z.string()).default({}).describe('Request headers.'),
    body: z.string().optional().describe('Request body.'),
    expectStatus: z.number().int().min(100).max(599).default(200).describe('Expected HTTP status.'),
    expectBody: z
      .strictObject({
        contains: nonEmpty().optional().describe('Text the body must contain.'),
        jsonPath: jsonPath().optional().describe('JSONPath into the JSON body, e.g. `$.revision`.'),
        equals: z
          .union([z.string(), z.number(), z.boolean(), z.null()])
          .optional()
          .describe('Value expected at `jsonPath`. Without it the path only has to exist.'),
      })
      .optional()
      .describe('What the body must hold.'),
    timeout: durationWithDefault('Fails the check when no answer comes in time.', '5s'),
  })
  .describe('A request sent to every new instance before it takes traffic.');

export const runSchema = z
  .strictObject({
    command: nonEmpty().describe('Shell command that starts one instance, run inside the artifact.'),
    port: z
      .strictObject({
        env: envVarName()
          .default('PORT')
          .describe('Environment variable that carries the port Flowline assigns.'),
      })
      .prefault({})
      .describe('How the instance learns its port. It must listen on it.'),
    instances: z.number().int().min(1).max(100).default(1).describe('Instances per environment.'),
    env: envMap('Environment variables for every instance.'),
    health: z
      .strictObject({
        path: httpPath()
          .optional()
          .describe('HTTP path answering 2xx when healthy. Without it, an open port counts as healthy.'),
        interval: durationWithDefault('Time between checks.', '2s'),
        timeout: durationWithDefault('A check without an answer in this time fails.', '1s'),
        startPeriod: durationWithDefault('Time a new instance has to become healthy.', '30s'),
        successThreshold: z
          .number()
          .int()
          .min(1)
          .default(1)
          .describe('Consecutive successes before an instance takes traffic.'),
        failureThreshold: z
          .number()
          .int()
          .min(1)
          .default(3)
          .describe('Consecutive failures before an instance is marked unhealthy.'),
      })
      .prefault({})
      .describe('Health check of every instance.'),
    smoke: z.array(smokeSchema).default([]).describe('Smoke tests of a new version before it takes traffic.'),
    shutdown: z
      .strictObject({
        signal: z
          .enum(['SIGTERM', 'SIGINT'])
          .default('SIGTERM')
          .describe('Signal asking an instance to stop.'),
        gracePeriod: durationWithDefault('Time to finish in-flight requests before SIGKILL.', '10s'),
      })
      .prefault({})
      .describe('How an instance is stopped (after the router drained it).'),
    workdir: nonEmpty().optional().describe('Working directory inside the artifact.'),
  })
  .describe('How to run the artifact as instances.');
