import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../../audit/types.js';
import { compact } from '../../core/objects.js';
import { AuditEvent, AuditQuery, VerifyResult } from '../schemas.js';

/** The audit trail is readable by every token: transparency is the point of it. */
export const auditRoutes =
  (audit: AuditLog): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/audit',
      {
        config: { access: 'read' },
        schema: {
          summary: 'List audit events, newest first',
          tags: ['audit'],
          querystring: AuditQuery,
          response: { 200: z.object({ events: z.array(AuditEvent) }) },
        },
      },
      async (request) => {
        return { events: await audit.list(compact(request.query)) };
      },
    );

    app.get(
      '/v1/audit/verify',
      {
        config: { access: 'read' },
        schema: {
          summary: 'Check that the hash chain is intact',
          tags: ['audit'],
          response: { 200: VerifyResult },
        },
      },
      async () => audit.verify(),
    );
  };
