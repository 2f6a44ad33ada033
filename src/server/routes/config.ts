import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { configJsonSchema, parseConfig } from '../../config/index.js';

const IssueSchema = z.object({
  code: z.string(),
  message: z.string(),
  file: z.string().optional(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
  path: z.string().optional(),
  hint: z.string().optional(),
});

/** Validation as a service, for editors, bots and CI systems without the CLI installed. */
export const configRoutes = (): FastifyPluginAsyncZod => async (app) => {
  app.post(
    '/v1/config/validate',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Validate a flowline.yaml text',
        tags: ['config'],
        body: z.strictObject({
          text: z.string().max(512 * 1024),
          file: z.string().max(500).default('flowline.yaml'),
        }),
        response: {
          200: z.object({ ok: z.boolean(), errors: z.array(IssueSchema), warnings: z.array(IssueSchema) }),
        },
      },
    },
    async (request) => {
      const result = parseConfig(request.body.text, request.body.file);
      return result.ok
        ? { ok: true, errors: [], warnings: result.warnings }
        : { ok: false, errors: result.errors, warnings: result.warnings };
    },
  );

  app.get(
    '/v1/config/schema',
    { config: { access: 'public' }, schema: { summary: 'JSON Schema of flowline.yaml', tags: ['config'] } },
    async () => configJsonSchema(),
  );
};
