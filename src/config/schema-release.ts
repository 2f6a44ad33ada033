import { z } from 'zod';
import {
  dnsLabel,
  duration,
  durationWithDefault,
  envMap,
  exactlyOne,
  identifier,
  jsonPath,
  NOT_SUPPORTED,
  nonEmpty,
  notSupported,
} from './schema-common.js';

/** Environments, their release strategies (shaped like Argo Rollouts) and analysis templates. */

const templateRefs = z
  .array(
    z.strictObject({
      templateName: identifier().describe('Name of a template under `analysis.templates`.'),
    }),
  )
  .min(1)
  .describe('Analysis templates to run; all must succeed.');

const analysisRef = z
  .strictObject({ templates: templateRefs })
  .describe('Runs analysis templates; a failed analysis aborts and rolls back.');

const canaryStep = exactlyOne(
  z
    .strictObject({
      setWeight: z
        .number()
        .min(0)
        .max(100)
        .optional()
        .describe('Send this percentage of traffic to the new version.'),
      pause: z
        .strictObject({
          duration: duration('How long to wait. Omit it to wait until someone promotes.').optional(),
        })
        .optional()
        .describe('Wait: for `duration`, or until promoted when `{}`.'),
      analysis: analysisRef.optional(),
      setCanaryScale: exactlyOne(
        z.strictObject({
          instances: z.number().int().min(0).optional().describe('Run exactly this many canary instances.'),
          weight: z
            .number()
            .min(0)
            .max(100)
            .optional()
            .describe('Run this percentage of `instances` as canary.'),
          matchTrafficWeight: z.boolean().optional().describe('Scale with the traffic weight (the default).'),
        }),
        ['instances', 'weight', 'matchTrafficWeight'],
        '`setCanaryScale`',
      )
        .optional()
        .describe('Scale the canary independently of its traffic weight.'),
    })
    .meta({ minProperties: 1, maxProperties: 1 })
    .describe('One canary step: `setWeight`, `pause`, `analysis` or `setCanaryScale`.'),
  ['setWeight', 'pause', 'analysis', 'setCanaryScale'],
  'a canary step',
);

const pinSchema = z.strictObject({
  name: nonEmpty().describe('Header or cookie name.'),
  value: nonEmpty().describe('Value that pins the request to the canary.'),
});

const canarySchema = z
  .strictObject({
    steps: z.array(canaryStep).min(1).describe('Steps run in order; after the last, the canary is promoted.'),
    trafficRouting: z
      .strictObject({
        header: pinSchema.optional().describe('Requests with this header go to the canary.'),
        cookie: pinSchema.optional().describe('Requests with this cookie go to the canary.'),
        sticky: z
          .boolean()
          .default(true)
          .describe('Keep a user on the version it first got, so a page does not flip between versions.'),
      })
      .prefault({})
      .describe('Pin chosen users to the canary whatever the weight.'),
    analysis: z
      .strictObject({
        templates: templateRefs,
        startingStep: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe('Index of the step at which background analysis starts.'),
      })
      .optional()
      .describe('Background analysis running alongside the steps; failing aborts the release.'),
    baseline: z
      .enum(['fresh', 'stable'])
      .default('fresh')
      .describe(
        'What a `judge` metric compares the canary with. `fresh`: a new instance of the stable revision, started with the canary and given the same share of traffic, so both are equally cold. `stable`: the running stable instances. Only used when an analysis of the canary has a `judge` metric.',
      ),
  })
  .describe('Shift traffic step by step, analysing as it goes.');

const blueGreenSchema = z
  .strictObject({
    autoPromotionEnabled: z
      .boolean()
      .default(true)
      .describe('Switch traffic once the preview stack is healthy; false waits for a promote.'),
    autoPromotionDelay: duration('Wait this long before switching automatically.').optional(),
    previewInstances: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Instances of the preview stack before the switch. Default: the full count.'),
    prePromotionAnalysis: analysisRef.optional().describe('Analysis of the preview stack before the switch.'),
    postPromotionAnalysis: analysisRef
      .optional()
      .describe('Analysis after the switch; failing switches back.'),
    scaleDownDelay: durationWithDefault(
      'Keep the old stack this long after the switch, for a fast undo.',
      '30s',
    ),
  })
  .describe('Start a full second stack, then switch all traffic at once.');

export const strategySchema = exactlyOne(
  z
    .strictObject({
      allAtOnce: z.strictObject({}).optional().describe('Replace every instance at once (write `{}`).'),
      blueGreen: blueGreenSchema.optional(),
      canary: canarySchema.optional(),
    })
    .meta({ minProperties: 1, maxProperties: 1 })
    .describe('How a new version replaces the old: `allAtOnce`, `blueGreen` or `canary`.'),
  ['allAtOnce', 'blueGreen', 'canary'],
  'a strategy',
);

export const environmentSchema = z
  .strictObject({
    description: z.string().optional(),
    ephemeral: z
      .boolean()
      .default(false)
      .describe('One environment per pull request (`pr-12`), deleted when closed or after `ttl`.'),
    ttl: duration('Deletes an idle ephemeral environment after this long.').optional(),
    protected: z
      .boolean()
      .default(false)
      .describe('Deploying needs a deployer role for this environment, and a green trunk.'),
    after: dnsLabel().optional().describe('Environment where the same artifact must have succeeded first.'),
    instances: z.number().int().min(1).max(100).optional().describe('Overrides `run.instances`.'),
    env: envMap('Adds to and overrides `run.env`.'),
    host: nonEmpty()
      .optional()
      .describe('Host name the router serves. Default `<environment>.<service>.localhost`.'),
    strategy: strategySchema.prefault({ allAtOnce: {} }),
    autoRollback: z
      .boolean()
      .default(true)
      .describe('Roll back by itself when health, smoke tests or analysis fail.'),
    progressDeadline: durationWithDefault(
      'A step that shifts traffic or analyses and does not end within this fails the release; pauses are not timed.',
      '10m',
    ),
    runtime: z
      .strictObject({
        driver: z
          .enum(['process', 'kubernetes'])
          .default('process')
          .transform((driver, ctx) => {
            if (driver === 'process') return driver;
            ctx.issues.push({
              code: 'custom',
              input: driver,
              message: 'the `kubernetes` driver is not supported yet: instances run as local processes',
              params: { code: NOT_SUPPORTED, hint: 'remove `runtime.driver`, or set it to `process`' },
            });
            return z.NEVER;
          })
          // Editors flag `kubernetes` too: the JSON Schema lists only what works.
          .meta({ enum: ['process'] })
          .describe('Where instances run: `process` (local processes). `kubernetes` is not supported yet.'),
        namespace: notSupported(
          '`runtime.namespace` is not supported yet: it names a Kubernetes namespace, and the Kubernetes driver is not built',
          'remove `runtime.namespace`',
        ),
      })
      .prefault({})
      .describe('Where the instances of this environment run.'),
  })
  .describe('A place the artifact is deployed to.');

export const ROUTER_SIGNALS = ['errorRate', 'latencyP50', 'latencyP95', 'latencyP99', 'requestRate'] as const;

const providerSchema = exactlyOne(
  z
    .strictObject({
      router: z
        .strictObject({
          signal: z
            .enum(ROUTER_SIGNALS)
            .describe('Golden signal measured by the router for the new version.'),
          window: durationWithDefault('Time window the signal is computed over.', '1m'),
          minSamples: z
            .number()
            .int()
            .min(0)
            .optional()
            .describe(
              'Fewest requests the canary must have served in the window (and the baseline too, when a condition reads `baseline`) before the signal is judged; fewer is no data, and the analysis waits for more up to `sampleTimeout`. Default 20, and 0 for `requestRate`.',
            ),
        })
        .optional()
        .describe("Flowline's router: golden signals of the new version."),
      prometheus: z
        .strictObject({
          address: z.url().describe('Prometheus base URL, e.g. `http://prometheus:9090`.'),
          query: nonEmpty().describe('PromQL query; its first sample is `result`.'),
          timeout: durationWithDefault('Query timeout.', '5s'),
          headers: z.record(z.string(), z.string()).default({}),
        })
        .optional()
        .describe('A PromQL query against the Prometheus HTTP API.'),
      web: z
        .strictObject({
          url: z.url().describe('URL to request.'),
          method: z.enum(['GET', 'POST']).default('GET'),
          headers: z.record(z.string(), z.string()).default({}),
          body: z.string().optional(),
          jsonPath: jsonPath()
            .optional()
            .describe('Where `result` is in the JSON answer. Default: the whole body.'),
          timeout: durationWithDefault('Request timeout.', '5s'),
        })
        .optional()
        .describe('An HTTP endpoint returning the measurement.'),
      business: z
        .strictObject({
          metric: identifier().describe('Name of a business metric the app pushes to Flowline.'),
          aggregate: z.enum(['avg', 'sum', 'min', 'max', 'count', 'rate']).default('avg'),
          window: durationWithDefault('Time window aggregated.', '5m'),
        })
        .optional()
        .describe('A business metric pushed by the app (orders per minute, sign-ups).'),
      judge: z
        .strictObject({
          signal: z.enum(ROUTER_SIGNALS).describe('Router signal compared between canary and baseline.'),
          test: z.enum(['mannWhitney']).default('mannWhitney').describe('Statistical test.'),
          tolerance: z
            .number()
            .min(0)
            .optional()
            .describe(
              'Relative degradation accepted, e.g. 0.15 for 15%. Default: 0.10 for latencies when the canary is compared with a fresh baseline (`canary.baseline: fresh`, the default), else 0.15 — a freshly started canary of identical code measured up to 18% slower than a warm instance on a busy machine (docs/analysis.md).',
            ),
          confidence: z.number().min(0.5).max(0.9999).default(0.95).describe('Confidence level of the test.'),
          minDifference: z
            .number()
            .min(0)
            .optional()
            .describe(
              "Smallest absolute change that can fail the canary, in the signal's unit: ms by which the typical request is slower (latencies), a fraction of requests (errorRate), requests/s (requestRate). Default by signal: 2 ms for latencies, 0.01 (one percentage point) for errorRate, 0 for requestRate — a cold canary of a sub-millisecond service is +70% but harmless, and a few chance errors on a few hundred requests are not a regression.",
            ),
          direction: z
            .enum(['increase', 'decrease', 'either'])
            .default('increase')
            .describe('Which change counts as worse.'),
          window: durationWithDefault('Time window of the samples compared.', '1m'),
          minSamples: z
            .number()
            .int()
            .min(1)
            .optional()
            .describe(
              'Fewest samples each side must have in the window before the judge speaks: latencies, requests for `errorRate`, intervals for `requestRate`; fewer is no data, and the analysis waits for more up to `sampleTimeout`. Default 50: the first requests of a fresh instance are its slowest.',
            ),
        })
        .optional()
        .describe('Compares the canary with the baseline statistically; `result` is 1 (pass) or 0 (fail).'),
    })
    .meta({ minProperties: 1, maxProperties: 1 })
    .describe('Where the measurement comes from: one of `router`, `prometheus`, `web`, `business`, `judge`.'),
  ['router', 'prometheus', 'web', 'business', 'judge'],
  'a provider',
);

const metricSchema = z
  .strictObject({
    name: identifier().describe('Name of the metric, unique in its template.'),
    interval: duration('Time between measurements. Omit it to measure once.').optional(),
    count: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Number of measurements. Default: 1 without `interval`, else until the release ends.'),
    initialDelay: durationWithDefault('Wait before the first measurement.', '0s'),
    successCondition: nonEmpty()
      .optional()
      .describe('Expression over `result` that marks success, e.g. `result < 0.01`.'),
    failureCondition: nonEmpty()
      .optional()
      .describe('Expression over `result` that marks failure, e.g. `result >= 0.05`.'),
    failureLimit: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Failures tolerated before the analysis fails.'),
    inconclusiveLimit: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        'Inconclusive measurements tolerated (over the whole run, as Argo Rollouts counts them); one more ends the analysis Inconclusive and pauses the release until promoted or aborted.',
      ),
    sampleTimeout: durationWithDefault(
      'How long one measurement waits for data (or enough samples) before it counts as Inconclusive; `0s` does not wait.',
      '1m',
    ),
    consecutiveErrorLimit: z
      .number()
      .int()
      .min(0)
      .default(4)
      .describe('Consecutive measurement errors tolerated (provider unreachable).'),
    provider: providerSchema,
  })
  .describe('One measurement, like an Argo Rollouts AnalysisTemplate metric.');

export const analysisSchema = z
  .strictObject({
    templates: z
      .record(
        identifier(),
        z
          .strictObject({
            description: z.string().optional(),
            metrics: z.array(metricSchema).min(1),
          })
          .describe('An analysis template: metrics that must all succeed.'),
      )
      .default({})
      .describe('Analysis templates by name, referenced from release strategies.'),
  })
  .prefault({})
  .describe('Analysis templates, like Argo Rollouts AnalysisTemplates.');
