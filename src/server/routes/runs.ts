import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Where as WhereType } from '../../audit/index.js';
import { compact } from '../../core/objects.js';
import { HISTORY_MAX_COMMITS } from '../../metrics/commits.js';
import type { NodeResult, RunCaller, RunIntake } from '../../pipeline/index.js';
import { RUN_ID } from '../../pipeline/index.js';
import { principalOf } from '../auth.js';
import { detachedBody } from '../body.js';
import { Where } from '../schemas.js';
import { AndonStatus } from './andon.js';

const Service = z.string().regex(/^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'a lowercase DNS label');
const StageName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'a stage name from flowline.yaml');
const RunId = z.string().regex(RUN_ID, 'a run id made by `flowline run` (run_…)');
const Time = z.iso.datetime();
const Kind = z.enum(['build', 'stage', 'finally']);
const StageStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled', 'cached']);

/** A stage as the API shows it: no server file paths. */
const Stage = z
  .object({
    name: z.string(),
    kind: Kind,
    status: StageStatus,
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
    reason: z.string().nullable(),
    needs: z
      .array(z.string())
      .nullable()
      .describe('The stages it waited for, as planned; null when the runner did not record them'),
  })
  .meta({ id: 'Stage' });

const RunView = z.object({
  id: z.string(),
  service: z.string(),
  status: z.string(),
  branch: z.string().nullable(),
  commitSha: z.string().nullable(),
  commitAuthorTime: z.string().nullable(),
  commitMessage: z.string().nullable(),
  artifactId: z.string().nullable(),
  where: Where,
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

const AndonChange = z.object({ status: AndonStatus, changed: z.boolean() });

const Sha = z.string().regex(/^[0-9a-f]{40,64}$/, 'a full commit sha');
/** One commit as a runner read it from git (also what a history import sends). */
export const Commit = z.strictObject({
  sha: Sha,
  parents: z.array(Sha).max(64),
  author: z.string().max(500),
  authoredAt: Time,
  committedAt: Time,
  subject: z.string().max(2000),
  linesAdded: z.number().int().min(0),
  linesDeleted: z.number().int().min(0),
});
const CommitHistoryBody = z.strictObject({
  head: Sha,
  commits: z.array(Commit).max(HISTORY_MAX_COMMITS),
  truncated: z.boolean(),
  shallow: z.boolean(),
});

const RunParams = z.object({ run: RunId });
const StageParams = z.object({ run: RunId, stage: StageName });

/** Media types whose bodies reach the log route as a stream, unparsed. */
const LOG_TYPES = ['text/plain', 'application/octet-stream'];

const stageView = ({ logPath: _, needs, ...stage }: NodeResult) => ({
  ...stage,
  needs: needs === null ? null : [...needs],
});

/** The token recording a run: it alone may update the run afterwards. */
function caller(request: FastifyRequest): RunCaller {
  const principal = principalOf(request);
  return { actor: principal.actor, tokenId: principal.tokenId };
}

/** The parsed `where` with absent fields left out, as the audit trail stores it. */
function toWhere(where: z.infer<typeof Where>): WhereType {
  return {
    host: where.host,
    ...(where.ci === undefined
      ? {}
      : { ci: { provider: where.ci.provider, ...compact({ runId: where.ci.runId, url: where.ci.url }) } }),
    ...(where.commit === undefined ? {} : { commit: where.commit }),
  };
}

/**
 * Pipeline runs. Reads (`read`): a run with its stages, and a stage's log in pages. Writes
 * (`ci`, and only the token that started the run): a CI machine running `flowline run` against this server records the run as it
 * goes — start, each stage, each stage's masked log line batches as they come, heartbeats, the
 * outcome — and the server updates the andon cord from it as it would for a local run.
 */
export const runRoutes =
  (deps: { intake: RunIntake }): FastifyPluginAsyncZod =>
  async (app) => {
    const { intake } = deps;
    app.addContentTypeParser(LOG_TYPES, (_request, payload, done) => done(null, detachedBody(payload)));

    app.get(
      '/v1/runs/:run',
      {
        config: { access: 'read' },
        schema: {
          summary: 'One run with its stages',
          tags: ['runs'],
          params: RunParams,
          response: { 200: z.object({ run: RunView, stages: z.array(Stage) }) },
        },
      },
      async (request) => {
        const { run, stages } = await intake.view(request.params.run);
        return { run, stages: stages.map(stageView) };
      },
    );

    app.get(
      '/v1/runs/:run/stages/:stage/log',
      {
        config: { access: 'read' },
        schema: {
          summary: "A page of a stage's log: whole lines from a byte offset, and the offset to ask for next",
          description:
            'Lines read `+<seconds since the run started>s <text>`, secrets already masked. Ask again with the returned offset until no lines come back (or, while the run is running, to follow it).',
          tags: ['runs'],
          params: StageParams,
          querystring: z.strictObject({
            offset: z.coerce.number().int().min(0).default(0),
            limit: z.coerce
              .number()
              .int()
              .min(64 * 1024)
              .max(4 * 1024 * 1024)
              .default(1024 * 1024)
              .describe('At most this many bytes of log per page'),
          }),
          response: { 200: z.object({ lines: z.array(z.string()), offset: z.number().int() }) },
        },
      },
      async (request) =>
        intake.readLog(request.params.run, request.params.stage, request.query.offset, request.query.limit),
    );

    app.post(
      '/v1/runs',
      {
        config: { access: 'ci' },
        schema: {
          summary: 'Record a run that started on a CI machine (`flowline run` with FLOWLINE_URL)',
          tags: ['runs'],
          body: z.strictObject({
            id: RunId,
            service: Service,
            branch: z.string().max(500).nullable(),
            commit: z
              .strictObject({
                sha: z.string().regex(/^[0-9a-f]{40,64}$/),
                authorTime: z.string().max(40),
                message: z.string().max(10_000),
              })
              .nullable(),
            where: Where,
            startedAt: Time,
            nodes: z
              .array(
                z.strictObject({
                  name: StageName,
                  kind: Kind,
                  needs: z.array(StageName).max(500).optional().describe('the stages it waits for'),
                }),
              )
              .max(500)
              .refine(
                (nodes) => new Set(nodes.map((n) => n.name)).size === nodes.length,
                'stage names repeat',
              ),
            trunk: z
              .string()
              .max(500)
              .nullable()
              .optional()
              .describe(
                "Ignored: the server's policy decides which branch is the trunk (sent by older runners)",
              ),
            config: z
              .string()
              .max(1024 * 1024)
              .optional()
              .describe(
                "The run's flowline.yaml: seeds the policy of a service the server does not know yet",
              ),
            only: z
              .array(StageName)
              .max(500)
              .nullable()
              .optional()
              .describe('`--stages`, or null for a full run'),
          }),
          response: { 201: z.object({ run: RunView }) },
        },
      },
      async (request, reply) => {
        const { where, trunk: _ignored, only, config, ...start } = request.body;
        const run = await intake.start(
          {
            ...start,
            where: toWhere(where),
            ...(only === undefined ? {} : { only }),
            ...(config === undefined ? {} : { config }),
          },
          caller(request),
        );
        void reply.status(201);
        return { run };
      },
    );

    app.patch(
      '/v1/runs/:run/stages/:stage',
      {
        config: { access: 'ci' },
        schema: {
          summary: 'Move a stage of a recorded run on',
          tags: ['runs'],
          params: StageParams,
          body: z.strictObject({
            status: StageStatus,
            startedAt: Time.optional(),
            finishedAt: Time.optional(),
            exitCode: z.number().int().nullable().optional(),
            signal: z.string().max(20).nullable().optional(),
            reason: z.string().max(10_000).nullable().optional(),
          }),
          response: { 200: z.object({ stage: Stage }) },
        },
      },
      async (request) => {
        const { status, startedAt, finishedAt, exitCode, signal, reason } = request.body;
        const stage = await intake.updateStage(
          request.params.run,
          request.params.stage,
          {
            status,
            ...(startedAt === undefined ? {} : { startedAt }),
            ...(finishedAt === undefined ? {} : { finishedAt }),
            ...(exitCode === undefined ? {} : { exitCode }),
            ...(signal === undefined ? {} : { signal }),
            ...(reason === undefined ? {} : { reason }),
          },
          caller(request),
        );
        return { stage: stageView(stage) };
      },
    );

    app.put(
      '/v1/runs/:run/stages/:stage/log',
      {
        config: { access: 'ci' },
        schema: {
          summary: "Store a stage's log (text/plain, masked by the runner); replaces what was stored",
          description:
            'The body is the stage log as `flowline run` writes it: one `+<seconds>s <text>` line per line. Tokens and bearer credentials are masked again on arrival; logs above 64 MB are cut.',
          tags: ['runs'],
          params: StageParams,
          response: { 200: z.object({ bytes: z.number().int() }) },
        },
      },
      async (request) => {
        // Bodies of LOG_TYPES arrive unparsed (see the parser above); no body is an empty log.
        const source = request.body instanceof Readable ? request.body : Readable.from([]);
        return intake.writeLog(request.params.run, request.params.stage, source, caller(request));
      },
    );

    app.post(
      '/v1/runs/:run/stages/:stage/log',
      {
        config: { access: 'ci' },
        schema: {
          summary: "Append lines to a stage's log while the stage runs (text/plain, masked by the runner)",
          description:
            "The body is whole lines as the runner's log file holds them, at most 1 MiB. `offset` is the log's size as the last append returned it (0 at first). A batch the log already holds is not written twice, so retrying one is safe; an offset past the end (lost lines) or bytes that disagree with the stored ones are refused with FLOWLINE_LOG_OFFSET. Answers the offset to send the next batch at.",
          tags: ['runs'],
          params: StageParams,
          querystring: z.strictObject({ offset: z.coerce.number().int().min(0) }),
          response: { 200: z.object({ offset: z.number().int() }) },
        },
      },
      async (request) => {
        const source = request.body instanceof Readable ? request.body : Readable.from([]);
        return intake.appendLog(
          request.params.run,
          request.params.stage,
          request.query.offset,
          source,
          caller(request),
        );
      },
    );

    app.post(
      '/v1/runs/:run/heartbeat',
      {
        config: { access: 'ci' },
        schema: {
          summary: 'Say that the runner of a recorded run is still alive (sent every 30 s)',
          description:
            'Any message about a run counts as a sign of life; this one is for stages that run quietly. A run whose runner says nothing for FLOWLINE_RUNNER_TIMEOUT is marked failed, and later messages are refused with FLOWLINE_RUN_REAPED.',
          tags: ['runs'],
          params: RunParams,
          response: { 200: z.object({ heardAt: z.string() }) },
        },
      },
      async (request) => intake.heartbeat(request.params.run, caller(request)),
    );

    app.post(
      '/v1/runs/:run/history',
      {
        config: { access: 'ci' },
        schema: {
          summary: 'Record the commits a run read from git',
          description:
            "The commits reachable from the run's HEAD that the server did not know (GET /v1/services/{service}/commits/known), at most 1000 per walk, for delivery metrics: deployments compute the commit range they ship from this graph.",
          tags: ['runs'],
          params: RunParams,
          body: CommitHistoryBody,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await intake.recordHistory(request.params.run, request.body, caller(request));
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/v1/runs/:run/finish',
      {
        config: { access: 'ci' },
        schema: {
          summary: 'Record how a run ended; a full trunk run moves the andon cord',
          tags: ['runs'],
          params: RunParams,
          body: z.strictObject({
            status: z.enum(['succeeded', 'failed', 'cancelled']),
            finishedAt: Time,
            artifact: z
              .strictObject({
                digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
                cacheKey: z.string().regex(/^sha256:[0-9a-f]{64}$/),
              })
              .nullable()
              .describe('The run artifact, uploaded first with PUT /v1/artifacts/{digest}'),
            only: z.array(StageName).max(500).nullable().describe('`--stages`, or null for a full run'),
            trunk: z
              .string()
              .max(500)
              .nullable()
              .optional()
              .describe(
                "Ignored: the server's policy decides which branch is the trunk (sent by older runners)",
              ),
            optional: z.array(StageName).max(500).default([]).describe('stages with continueOnFailure'),
          }),
          response: { 200: z.object({ run: RunView, andon: AndonChange.nullable() }) },
        },
      },
      async (request) => {
        const { trunk: _ignored, ...finish } = request.body;
        return intake.finish(request.params.run, finish, caller(request));
      },
    );
  };
