import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Where } from '../../audit/index.js';
import { QUALITY_METHODS } from '../../config/index.js';
import { compact } from '../../core/objects.js';
import type { RunIntake } from '../../pipeline/index.js';
import { RUN_ID } from '../../pipeline/index.js';
import { checkMonth, type Measurement, parsePeriod, type QualityReports } from '../../quality/index.js';
import { principalOf } from '../auth.js';

const Service = z.string().regex(/^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'a lowercase DNS label');
const DeliverableId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, 'a deliverable id from flowline.yaml');
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex');
const RepoFile = z.string().min(1).max(1000);

/** What a runner measured for one deliverable of the run's quality plan (src/quality/types.ts). */
const MeasurementBody = z.strictObject({
  deliverable: DeliverableId,
  method: z.enum(QUALITY_METHODS),
  stage: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/)
    .nullable(),
  values: z
    .record(z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/), z.number())
    .refine((v) => Object.keys(v).length <= 32, 'at most 32 values')
    .nullable(),
  error: z
    .strictObject({
      code: z.enum(['FLOWLINE_QUALITY_REPORT_MISSING', 'FLOWLINE_QUALITY_REPORT_INVALID']),
      message: z.string().max(2000),
      file: RepoFile,
      line: z.number().int().min(1).optional(),
      column: z.number().int().min(1).optional(),
    })
    .nullable(),
  file: RepoFile.nullable(),
  sha256: Sha256.nullable(),
  files: z
    .record(RepoFile, Sha256.nullable())
    .refine((v) => Object.keys(v).length <= 200, 'at most 200 files')
    .optional(),
});

const Signoff = z
  .object({
    id: z.string(),
    service: z.string(),
    deliverable: z.string(),
    period: z.string(),
    verdict: z.enum(['accepted', 'rejected']),
    signedBy: z.string(),
    note: z.string().nullable(),
    recordedBy: z.string(),
    recordedAt: z.string(),
  })
  .meta({ id: 'QualitySignoff' });

const Evidence = z.object({
  runId: z.string().optional(),
  runStartedAt: z.string().optional(),
  branch: z.string().nullable().optional(),
  commitSha: z.string().nullable().optional(),
  artifactId: z.string().nullable().optional(),
  stage: z.string().nullable().optional(),
  file: z.string().nullable().optional(),
  sha256: z.string().nullable().optional(),
  ids: z.array(z.string()).readonly().optional().describe('deployments or sign-offs the figure comes from'),
  environment: z
    .string()
    .optional()
    .describe('the environment of the deployments in `ids` (methods `dora` and `deployment`)'),
  files: z
    .record(z.string(), z.string().nullable())
    .optional()
    .describe('documentation: file → sha256, null when missing'),
  signoff: Signoff.optional(),
});

const Assessment = z
  .object({
    id: z.string(),
    name: z.string(),
    standard: z.string(),
    aql: z.string(),
    method: z.enum(QUALITY_METHODS),
    methodDetail: z.string(),
    verdict: z.enum(['pass', 'fail', 'no data']),
    measured: z.record(z.string(), z.number()),
    conditions: z
      .array(
        z.object({
          text: z.string(),
          metric: z.string(),
          op: z.string(),
          value: z.number(),
          measured: z.number().nullable(),
          met: z.boolean().nullable(),
        }),
      )
      .readonly(),
    reason: z.string().nullable(),
    error: z
      .object({
        code: z.string(),
        message: z.string(),
        file: z.string(),
        line: z.number().optional(),
        column: z.number().optional(),
      })
      .nullable(),
    evidence: Evidence,
  })
  .meta({ id: 'QualityAssessment' });

/** src/quality/types.ts's QualityReport; docs/quality.md describes each field. */
const Report = z
  .object({
    service: z.string(),
    period: z.object({ label: z.string(), from: z.string(), to: z.string() }),
    generatedAt: z.string(),
    plan: z.object({ artifactId: z.string(), runId: z.string(), trunk: z.string().nullable() }),
    summary: z.object({ pass: z.number(), fail: z.number(), 'no data': z.number() }),
    deliverables: z.array(Assessment).readonly(),
  })
  .meta({ id: 'QualityReport' });

const queryNames = { period: 'period', from: 'from', to: 'to' };

/**
 * The quality plan over HTTP. A runner records its measurements (`ci`, only the token that started
 * the run, like its other updates); anyone who reads may get the report; a sign-off of a manual
 * deliverable is an attestation, audited, and needs `deploy`.
 */
export const qualityRoutes =
  (deps: {
    intake?: RunIntake;
    reports: QualityReports;
    where: () => Where;
    now: () => Date;
  }): FastifyPluginAsyncZod =>
  async (app) => {
    const { intake } = deps;
    if (intake !== undefined) {
      app.post(
        '/v1/runs/:run/quality',
        {
          config: { access: 'ci' },
          schema: {
            summary: 'Record what a run measured for its quality plan',
            description:
              "The runner reads the reports the plan's deliverables name after the stage that writes them, and the documentation files at the end of the run. Each measurement holds the values, or the coded error of a report it could not read, with the file's sha256 as evidence (docs/quality.md). Only the token that started the run may record them, while it runs.",
            tags: ['runs', 'quality'],
            params: z.object({ run: z.string().regex(RUN_ID, 'a run id made by `flowline run` (run_…)') }),
            body: z.strictObject({ measurements: z.array(MeasurementBody).min(1).max(200) }),
            response: { 204: z.null() },
          },
        },
        async (request, reply) => {
          const principal = principalOf(request);
          const measurements = request.body.measurements.map(toMeasurement);
          await intake.recordQuality(request.params.run, measurements, {
            actor: principal.actor,
            tokenId: principal.tokenId,
          });
          return reply.code(204).send(null);
        },
      );
    }

    app.get(
      '/v1/reports/quality',
      {
        config: { access: 'read' },
        schema: {
          summary:
            "A service's quality plan assessed for a period: pass, fail or no data per deliverable, with the evidence",
          tags: ['quality'],
          querystring: z.strictObject({
            service: Service,
            period: z.string().max(20).optional().describe('a calendar month, `2026-11`'),
            from: z
              .string()
              .max(40)
              .optional()
              .describe('instead of `period`: a date, or a duration back from now'),
            to: z.string().max(40).optional(),
          }),
          response: { 200: z.object({ report: Report }) },
        },
      },
      async (request) => {
        const { service, ...when } = request.query;
        const period = parsePeriod(compact(when), deps.now(), {
          code: 'FLOWLINE_REQUEST_INVALID',
          names: queryNames,
        });
        // A scoped token gets no figures of other environments, as from `/v1/metrics/dora`.
        const { environments } = principalOf(request);
        return { report: await deps.reports.report(service, period, { environments }) };
      },
    );

    app.post(
      '/v1/reports/quality/signoffs',
      {
        config: { access: 'deploy' },
        schema: {
          summary: 'Sign off (or reject) a manual deliverable of the quality plan for a month',
          tags: ['quality'],
          body: z.strictObject({
            service: Service,
            deliverable: DeliverableId,
            period: z.string().max(20),
            verdict: z.enum(['accepted', 'rejected']).default('accepted'),
            signedBy: z.string().trim().min(1).max(200),
            note: z.string().trim().min(1).max(2000).optional(),
          }),
          response: { 201: z.object({ signoff: Signoff }) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { note, ...input } = request.body;
        checkMonth(input.period, 'FLOWLINE_REQUEST_INVALID', 'period');
        const signoff = await deps.reports.signoff(
          { ...input, ...(note === undefined ? {} : { note }) },
          { actor: principal.actor, where: deps.where() },
        );
        return reply.code(201).send({ signoff });
      },
    );
  };

function toMeasurement(body: z.infer<typeof MeasurementBody>): Measurement {
  const { files, error, ...rest } = body;
  return {
    ...rest,
    error:
      error === null
        ? null
        : {
            code: error.code,
            message: error.message,
            file: error.file,
            ...(error.line === undefined ? {} : { line: error.line }),
            ...(error.column === undefined ? {} : { column: error.column }),
          },
    ...(files === undefined ? {} : { files }),
  };
}
