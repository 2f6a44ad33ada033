import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Where } from '../../audit/index.js';
import type { Authorize } from '../../auth/index.js';
import type { DeployController } from '../../deploy/index.js';
import { principalOf } from '../auth.js';
import { streamProgress } from '../stream.js';

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');

/**
 * Deploy and rollback. Both stream their progress as NDJSON (see stream.ts) and need the
 * `deploy` role with the environment in the token's scope.
 */
export const deployRoutes =
  (deploy: DeployController, authorize: Authorize, where: () => Where): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/deploy',
      {
        config: { access: 'deploy' },
        schema: {
          summary: 'Deploy an artifact to an environment (streams NDJSON progress)',
          tags: ['deploy'],
          description:
            "Names an artifact and an environment, nothing that changes what runs: how to run it comes from the flowline.yaml sealed in the artifact, what is allowed from the server's policy (docs/adr/0010-trust-model.md).",
          body: z.strictObject({
            service: Name,
            environment: Name,
            artifact: z
              .string()
              .regex(/^(sha256:)?[0-9a-f]{6,64}$/, 'a sha256 digest or a prefix of one')
              .optional()
              .describe(
                'Default: what runs in the environment the policy says comes before, else the newest artifact',
              ),
            hotfix: z
              .boolean()
              .optional()
              .describe(
                'An unplanned deployment made to fix a problem users have (delivery metrics: rework)',
              ),
          }),
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        authorize(principal, 'deploy', request.body.environment);
        const { service, environment, artifact, hotfix } = request.body;
        await streamProgress(reply, (onProgress) =>
          deploy.deploy({ service, environment, artifact, hotfix, principal, where: where(), onProgress }),
        );
      },
    );

    app.post(
      '/v1/rollback',
      {
        config: { access: 'deploy' },
        schema: {
          summary: 'Return an environment to its previous good artifact at once (streams NDJSON progress)',
          tags: ['deploy'],
          body: z.strictObject({ service: Name, environment: Name }),
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        await deploy.authorizeEnvironment(principal, request.body.service, request.body.environment);
        await streamProgress(reply, (onProgress) =>
          deploy.rollback({ ...request.body, actor: principal.actor, where: where(), onProgress }),
        );
      },
    );
  };
