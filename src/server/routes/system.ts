import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth.js';
import { Actor, Role } from '../schemas.js';

/** Health (public, for load balancers) and whoami (for a caller to check its token). */
export const systemRoutes =
  (version: string): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/health',
      {
        config: { access: 'public' },
        schema: {
          summary: 'Liveness of the server',
          tags: ['system'],
          response: { 200: z.object({ status: z.literal('ok'), version: z.string() }) },
        },
      },
      async () => ({ status: 'ok' as const, version }),
    );

    app.get(
      '/v1/whoami',
      {
        config: { access: 'read' },
        schema: {
          summary: 'The token the request was made with',
          tags: ['system'],
          response: {
            200: z.object({
              actor: Actor,
              role: Role,
              environments: z.array(z.string()).readonly().nullable(),
            }),
          },
        },
      },
      async (request) => {
        const p = principalOf(request);
        return { actor: p.actor, role: p.role, environments: p.environments };
      },
    );
  };
