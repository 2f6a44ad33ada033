import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Where } from '../../audit/index.js';
import type { Authorize } from '../../auth/index.js';
import { parseConfig } from '../../config/index.js';
import { FlowlineError } from '../../core/errors.js';
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
          body: z.strictObject({
            config: z
              .string()
              .max(512 * 1024)
              .describe('The flowline.yaml text of the service'),
            configFile: z.string().max(500).default('flowline.yaml'),
            environment: Name,
            artifact: z
              .string()
              .regex(/^(sha256:)?[0-9a-f]{6,64}$/, 'a sha256 digest or a prefix of one')
              .optional(),
          }),
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        authorize(principal, 'deploy', request.body.environment);
        const parsed = parseConfig(request.body.config, request.body.configFile);
        if (!parsed.ok) {
          throw new FlowlineError(
            'FLOWLINE_CONFIG_INVALID',
            `${parsed.errors.length} problem(s) in ${request.body.configFile}`,
            {
              issues: parsed.errors,
              hint: 'Run `flowline validate` and fix each problem.',
            },
          );
        }
        const { environment, artifact } = request.body;
        await streamProgress(reply, (onProgress) =>
          deploy.deploy({
            config: parsed.config,
            environment,
            ...(artifact === undefined ? {} : { artifact }),
            actor: principal.actor,
            where: where(),
            onProgress,
          }),
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
        authorize(principal, 'deploy', request.body.environment);
        await streamProgress(reply, (onProgress) =>
          deploy.rollback({ ...request.body, actor: principal.actor, where: where(), onProgress }),
        );
      },
    );
  };
