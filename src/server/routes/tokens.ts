import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TokenService } from '../../auth/types.js';
import { compact } from '../../core/objects.js';
import { principalOf } from '../auth.js';
import { CreateTokenBody, TokenInfo } from '../schemas.js';

/** API tokens: admin only. The secret is in the create response and nowhere else, ever. */
export const tokenRoutes =
  (tokens: TokenService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/tokens',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Create a token (the secret is shown once)',
          tags: ['tokens'],
          body: CreateTokenBody,
          response: { 201: z.object({ token: TokenInfo, secret: z.string() }) },
        },
      },
      async (request, reply) => {
        const { name, role, ...rest } = request.body;
        const created = await tokens.create({ name, role, ...compact(rest) }, principalOf(request).actor);
        void reply.status(201).header('cache-control', 'no-store');
        return created;
      },
    );

    app.get(
      '/v1/tokens',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'List tokens (never their secrets)',
          tags: ['tokens'],
          querystring: z.strictObject({ includeRevoked: z.stringbool().default(false) }),
          response: { 200: z.object({ tokens: z.array(TokenInfo) }) },
        },
      },
      async (request) => ({ tokens: await tokens.list({ includeRevoked: request.query.includeRevoked }) }),
    );

    app.delete(
      '/v1/tokens/:token',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Revoke a token by id or name',
          tags: ['tokens'],
          params: z.object({ token: z.string().min(1).max(128) }),
          response: { 200: z.object({ token: TokenInfo }) },
        },
      },
      async (request) => ({ token: await tokens.revoke(request.params.token, principalOf(request).actor) }),
    );
  };
