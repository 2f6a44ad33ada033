import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Where } from '../../audit/index.js';
import type { Authorize } from '../../auth/index.js';
import { MAX_VALUE_BYTES, type SecretService } from '../../secrets/index.js';
import { principalOf } from '../auth.js';

const Part = z.string().min(1).max(128);
const SetParams = z.object({ service: Part, environment: Part });
const NameParams = SetParams.extend({ name: Part });

/** Every answer goes through this schema, which has no field for a value: none can slip out. */
const SecretInfo = z
  .object({
    service: z.string(),
    environment: z.string(),
    name: z.string(),
    version: z.number().int(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .meta({ id: 'SecretInfo' });

export interface SecretRouteDeps {
  readonly secrets: SecretService;
  readonly authorize: Authorize;
  readonly where: () => Where;
}

/**
 * Secrets over HTTP: a `read` token lists the names of its environments; only an `admin` token
 * whose scope includes the environment sets or removes a value. Values go in (the body of a PUT)
 * and never come out: no answer, error or audit event holds one.
 */
export const secretRoutes =
  (deps: SecretRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { secrets, authorize } = deps;
    // Checked before the body is read, so a token that may not write never gets a value parsed.
    app.get(
      '/v1/secrets/:service/:environment',
      {
        config: { access: 'read' },
        schema: {
          summary:
            'The secrets set for an environment: names, versions, who set them and when (never values)',
          tags: ['secrets'],
          params: SetParams,
          response: { 200: z.object({ secrets: z.array(SecretInfo) }) },
        },
      },
      async (request) => {
        const { service, environment } = request.params;
        authorize(principalOf(request), 'read', environment);
        return { secrets: await secrets.list(service, environment) };
      },
    );

    app.put(
      '/v1/secrets/:service/:environment/:name',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Set a secret value (admin on the environment); answers its new version, not the value',
          tags: ['secrets'],
          params: NameParams,
          body: z.strictObject({
            value: z.string().min(1).max(MAX_VALUE_BYTES).describe('The value: UTF-8 text, 1 byte to 64 KiB'),
          }),
          response: { 200: z.object({ secret: SecretInfo }) },
        },
      },
      async (request) => {
        const { service, environment, name } = request.params;
        const principal = principalOf(request);
        const secret = await secrets.set(
          { service, environment, name, value: request.body.value },
          principal.actor,
          deps.where(),
        );
        return { secret };
      },
    );

    app.delete(
      '/v1/secrets/:service/:environment/:name',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Remove a secret (admin on the environment)',
          tags: ['secrets'],
          params: NameParams,
          response: { 200: z.object({ secret: SecretInfo }) },
        },
      },
      async (request) => {
        const { service, environment, name } = request.params;
        const principal = principalOf(request);
        return { secret: await secrets.remove(service, environment, name, principal.actor, deps.where()) };
      },
    );
  };
