import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseHead } from '../../audit/index.js';
import type { AuditLog } from '../../audit/types.js';
import { compact } from '../../core/objects.js';
import { AuditEvent, AuditHead, AuditQuery, AuditVerifyQuery, VerifyResult } from '../schemas.js';

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
          summary: 'Check that the hash chain is intact and contains the saved heads given',
          description:
            'Each `head` (`<seq>:<hash>`, repeatable) is a head saved outside the store, e.g. a line of the anchor file: it must lie within the chain and match its hash there. `anchored` in the answer counts the heads checked; 0 means the chain was verified internally only.',
          tags: ['audit'],
          querystring: AuditVerifyQuery,
          response: { 200: VerifyResult },
        },
      },
      async (request) => {
        const given = request.query.head;
        const texts = given === undefined ? [] : typeof given === 'string' ? [given] : given;
        return audit.verify(texts.map((text) => parseHead(text, 'head')));
      },
    );

    app.get(
      '/v1/audit/head',
      {
        config: { access: 'read' },
        schema: {
          summary: 'The head of the hash chain: the seq and hash to save outside the store',
          tags: ['audit'],
          response: { 200: AuditHead },
        },
      },
      async () => audit.head(),
    );
  };
