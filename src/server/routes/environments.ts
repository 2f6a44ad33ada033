import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Where } from '../../audit/index.js';
import type { Authorize } from '../../auth/index.js';
import { requireDuration } from '../../core/time.js';
import { type EnvironmentService, previewName } from '../../deploy/index.js';
import { principalOf } from '../auth.js';
import { streamProgress } from '../stream.js';

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');

const InstanceHealth = z.object({
  id: z.string(),
  state: z.string(),
  restarts: z.number().int(),
  pid: z.number().int().nullable(),
});

const EnvironmentStatus = z
  .object({
    service: z.string(),
    name: z.string(),
    kind: z.enum(['persistent', 'ephemeral']),
    branch: z.string().nullable(),
    pullRequest: z.number().int().nullable(),
    host: z.string(),
    url: z.string().nullable().describe('Where users reach it through the router'),
    revision: z.string().nullable().describe('The live revision'),
    artifact: z.string().nullable().describe("The live revision's artifact"),
    commit: z.string().nullable().describe('The commit the artifact was built from'),
    commitSubject: z.string().nullable().describe("The commit's subject line, where recorded"),
    commitAuthor: z.string().nullable().describe("The commit's author, where a history walk recorded it"),
    commitAuthoredAt: z.string().nullable(),
    liveSince: z.string().nullable().describe('When the live revision went live'),
    traffic: z
      .array(z.object({ revision: z.string(), weight: z.number() }))
      .readonly()
      .describe("The route's backends: each revision's share of traffic, in percent"),
    health: z
      .object({
        healthy: z.number().int(),
        desired: z.number().int(),
        instances: z.array(InstanceHealth).readonly(),
      })
      .nullable()
      .describe("The live revision's instances"),
    release: z.string().nullable().describe('The phase of a deployment under way'),
    drift: z
      .array(z.string())
      .readonly()
      .describe('How what runs differs from what was deployed; empty when none'),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
  })
  .meta({ id: 'EnvironmentStatus' });

/**
 * Previews on demand and the status of every environment. Create and delete stream their
 * progress as NDJSON and need the `deploy` role with the environment in the token's scope;
 * deleting a persistent environment (`force`) needs `admin`.
 */
export const environmentRoutes =
  (environments: EnvironmentService, authorize: Authorize, where: () => Where): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/environments/status',
      {
        config: { access: 'read' },
        schema: {
          summary: 'Every live environment with its URL, artifact, commit, health and drift',
          tags: ['environments'],
          querystring: z.strictObject({ service: Name.optional() }),
          response: {
            200: z.object({ environments: z.array(EnvironmentStatus).readonly(), runtime: z.boolean() }),
          },
        },
      },
      async (request) => environments.status(request.query.service),
    );

    app.post(
      '/v1/environments',
      {
        config: { access: 'deploy' },
        schema: {
          summary: 'Create (or refresh and redeploy) a preview environment (streams NDJSON progress)',
          tags: ['environments'],
          description:
            "The preview runs the artifact it names (default: the newest one a run of the branch built) by the flowline.yaml sealed in it, under the policy of the service's preview template.",
          body: z.strictObject({
            service: Name,
            branch: z.string().min(1).max(255).optional().describe('The branch it previews'),
            pullRequest: z
              .number()
              .int()
              .min(1)
              .max(2 ** 31 - 1)
              .optional()
              .describe('The pull request it previews: the name is then `pr-<n>`'),
            ttl: z
              .string()
              .max(32)
              .optional()
              .describe("Time to live, e.g. `72h`, `30m`; default: the template's `ttl`, else 72h"),
            artifact: z
              .string()
              .regex(/^(sha256:)?[0-9a-f]{6,64}$/, 'a sha256 digest or a prefix of one')
              .optional(),
          }),
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { branch, pullRequest, ttl, artifact } = request.body;
        const name = previewName({ branch, pullRequest });
        authorize(principal, 'deploy', name);
        const ttlMs = ttl === undefined ? undefined : parseTtl(ttl);
        await streamProgress(reply, (onProgress) =>
          environments.create({
            service: request.body.service,
            branch,
            pullRequest,
            ttlMs,
            artifact,
            principal,
            where: where(),
            onProgress,
          }),
        );
      },
    );

    app.delete(
      '/v1/environments/:service/:name',
      {
        config: { access: 'deploy' },
        schema: {
          summary: 'Tear an environment down: drain, stop its revisions, remove its route (streams NDJSON)',
          tags: ['environments'],
          params: z.object({ service: Name, name: Name }),
          querystring: z.strictObject({
            force: z
              .enum(['true', 'false'])
              .default('false')
              .describe('Also delete a persistent environment (admin)'),
            purgeData: z
              .enum(['true', 'false'])
              .default('false')
              .describe("Also delete a persistent environment's data folder (a preview's always goes)"),
          }),
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { service, name } = request.params;
        const force = request.query.force === 'true';
        const purgeData = request.query.purgeData === 'true';
        authorize(principal, force ? 'admin' : 'deploy', name);
        await streamProgress(reply, (onProgress) =>
          environments.delete({
            service,
            name,
            force,
            purgeData,
            actor: principal.actor,
            where: where(),
            onProgress,
          }),
        );
      },
    );
  };

function parseTtl(text: string): number {
  return requireDuration(text, {
    name: 'ttl',
    min: '1s',
    code: 'FLOWLINE_REQUEST_INVALID',
    path: 'body.ttl',
  });
}
