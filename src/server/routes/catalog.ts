import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Catalog } from '../../catalog/index.js';
import { compact } from '../../core/objects.js';
import { ListQuery, Where } from '../schemas.js';

const Service = z
  .object({ id: z.string(), name: z.string(), configPath: z.string().nullable(), createdAt: z.string() })
  .meta({ id: 'Service' });

const Environment = z
  .object({
    id: z.string(),
    service: z.string(),
    name: z.string(),
    kind: z.enum(['persistent', 'ephemeral']),
    branch: z.string().nullable(),
    pullRequest: z.number().int().nullable(),
    expiresAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Environment' });

const Artifact = z
  .object({
    id: z.string(),
    service: z.string(),
    cacheKey: z.string(),
    commitSha: z.string().nullable(),
    sizeBytes: z.number().int(),
    createdAt: z.string(),
  })
  .meta({ id: 'Artifact' });

const Run = z
  .object({
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
  })
  .meta({ id: 'Run' });

const Deployment = z
  .object({
    id: z.string(),
    service: z.string(),
    environment: z.string(),
    artifactId: z.string(),
    strategy: z.string(),
    status: z.string(),
    actor: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    reason: z.string().nullable(),
    commitSha: z.string().nullable().describe("the artifact's commit"),
    kind: z.enum(['deploy', 'rollback']),
    unplannedReason: z.string().nullable().describe('null when planned: `rollback`, `hotfix`, `incident`'),
    rangeStatus: z
      .enum(['complete', 'partial', 'none'])
      .nullable()
      .describe('how much of the commit range it shipped is known from recorded history'),
    outcome: z
      .enum(['succeeded', 'failed', 'rolledBack', 'failedAnalysis', 'running'])
      .describe(
        'how it ended: `failed` never served users, `rolledBack` served then was sent back, `failedAnalysis` its analysis failed (docs/metrics.md)',
      ),
    servedAt: z.string().nullable().describe("when its new revision first took users' traffic"),
    imported: z.boolean().describe('imported from a history file, not recorded by Flowline'),
    externalId: z.string().nullable().describe("an imported deployment's id in the previous tool"),
  })
  .meta({ id: 'Deployment' });

/** Read-only views of services, environments and their records. */
export const catalogRoutes =
  (catalog: Catalog): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/services',
      {
        config: { access: 'read' },
        schema: {
          summary: 'List services',
          tags: ['catalog'],
          response: { 200: z.object({ services: z.array(Service) }) },
        },
      },
      async () => ({ services: await catalog.listServices() }),
    );

    app.get(
      '/v1/services/:service',
      {
        config: { access: 'read' },
        schema: {
          summary: 'One service',
          tags: ['catalog'],
          params: z.object({ service: z.string().min(1).max(64) }),
          response: { 200: z.object({ service: Service }) },
        },
      },
      async (request) => ({ service: await catalog.getService(request.params.service) }),
    );

    app.get(
      '/v1/services/:service/commits/known',
      {
        config: { access: 'read' },
        schema: {
          summary: "Commits a runner's git walk may stop at",
          description:
            'The heads of the latest recorded walks of the service: everything reachable from them is recorded already, so `flowline run` reads only newer commits (`git log HEAD --not …`). Empty for a service not seen yet.',
          tags: ['catalog'],
          params: z.object({ service: z.string().min(1).max(64) }),
          response: { 200: z.object({ shas: z.array(z.string()) }) },
        },
      },
      async (request) => ({ shas: await catalog.knownCommits(request.params.service) }),
    );

    app.get(
      '/v1/environments',
      {
        config: { access: 'read' },
        schema: {
          summary: 'List live environments',
          tags: ['catalog'],
          querystring: z.strictObject({ service: z.string().min(1).max(64).optional() }),
          response: { 200: z.object({ environments: z.array(Environment) }) },
        },
      },
      async (request) => ({ environments: await catalog.listEnvironments(request.query.service) }),
    );

    app.get(
      '/v1/artifacts',
      {
        config: { access: 'read' },
        schema: {
          summary: 'List artifacts, newest first',
          tags: ['catalog'],
          querystring: ListQuery.omit({ environment: true }),
          response: { 200: z.object({ artifacts: z.array(Artifact) }) },
        },
      },
      async (request) => ({ artifacts: await catalog.listArtifacts(compact(request.query)) }),
    );

    app.get(
      '/v1/runs',
      {
        config: { access: 'read' },
        schema: {
          summary: 'List pipeline runs, newest first',
          description:
            'Filter by `service`, `branch` and `status`; page on with `before`, the id of the last run of the previous page.',
          tags: ['catalog'],
          querystring: ListQuery.omit({ environment: true }).extend({
            branch: z.string().max(500).optional(),
            status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']).optional(),
            before: z.string().max(100).optional().describe('a run id: list the runs after it'),
          }),
          response: { 200: z.object({ runs: z.array(Run) }) },
        },
      },
      async (request) => ({ runs: await catalog.listRuns(compact(request.query)) }),
    );

    app.get(
      '/v1/deployments',
      {
        config: { access: 'read' },
        schema: {
          summary: 'List deployments, newest first',
          tags: ['catalog'],
          querystring: ListQuery,
          response: { 200: z.object({ deployments: z.array(Deployment) }) },
        },
      },
      async (request) => ({ deployments: await catalog.listDeployments(compact(request.query)) }),
    );
  };
