import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];
type Security = readonly Readonly<Record<string, readonly string[]>>[];

/**
 * The OpenAPI document at /v1/openapi.json. Each operation's `security` comes from the route's
 * own `access` (the same declaration auth.ts enforces), so the document cannot claim a token
 * where none is needed or forget one where it is: public routes list none, the others the bearer
 * token and, as `x-flowline-role`, the least role they need. A public route that checks a
 * credential of its own (a hook) declares its `security` in its schema.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Flowline API',
        version,
        description:
          'Operations with a `security` requirement need `Authorization: Bearer <token>` with at least the role in `x-flowline-role`; the others need no token.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          basic: { type: 'http', scheme: 'basic', description: 'Any user name; the token as the password.' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'flowline_session',
            description:
              'The dashboard session (POST /v1/session); changes also need `X-Flowline-CSRF`. Accepted by every route that takes a bearer token, when no Authorization header is sent.',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: withAccess,
    transformObject: jsonSchemaTransformObject,
  });
}

function withAccess(input: TransformInput): ReturnType<typeof jsonSchemaTransform> {
  const result = jsonSchemaTransform(input);
  const schema = result.schema as { hide?: boolean; security?: Security } | undefined;
  if (schema?.hide === true) return result;
  const access = input.route.config?.access;
  const security: Security = schema?.security ?? (access === 'public' ? [] : [{ bearer: [] }]);
  return {
    ...result,
    schema: {
      ...schema,
      security,
      ...(access === 'public' ? {} : { 'x-flowline-role': access ?? 'admin' }),
    },
  };
}
