import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Andon } from '../../andon/index.js';
import type { Where } from '../../audit/index.js';
import { principalOf } from '../auth.js';

const Service = z.string().regex(/^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'a lowercase DNS label');

/** Shared with the runs routes, whose `finish` answers the cord it moved. */
export const AndonStatus = z
  .object({
    service: z.string(),
    state: z.enum(['green', 'red']),
    cause: z.enum(['run', 'pull', 'release']).nullable(),
    runId: z.string().nullable(),
    reason: z.string().nullable(),
    actor: z.string().nullable(),
    since: z.string().nullable(),
  })
  .meta({ id: 'AndonStatus' });

const Change = z.object({ andon: AndonStatus, changed: z.boolean() });
const Reason = z.strictObject({ reason: z.string().min(1).max(2000) });

/**
 * The andon cords, with the rules of src/andon: anyone with a token that reads may stop the line
 * (a person who sees a problem should not need a promotion to say so); releasing it needs admin.
 * Both are audited with the token as the actor and this server as the place.
 */
export const andonRoutes =
  (deps: { andon: Andon; where: () => Where }): FastifyPluginAsyncZod =>
  async (app) => {
    const { andon } = deps;
    // Pull and release differ only in the move (and the role their routes require).
    const move = async (
      verb: 'pull' | 'release',
      request: FastifyRequest & { params: { service: string }; body: { reason: string } },
    ) => {
      const { actor, role } = principalOf(request);
      const { status, changed } = await andon[verb](request.params.service, request.body.reason, {
        actor,
        role,
        where: deps.where(),
      });
      return { andon: status, changed };
    };
    app.get(
      '/v1/andon',
      {
        config: { access: 'read' },
        schema: {
          summary: "Each service's trunk (or one's): green or red, since when, and why",
          tags: ['andon'],
          querystring: z.strictObject({ service: Service.optional() }),
          response: { 200: z.object({ andon: z.array(AndonStatus) }) },
        },
      },
      async (request) => {
        const { service } = request.query;
        return { andon: service === undefined ? await andon.list() : [await andon.status(service)] };
      },
    );

    app.post(
      '/v1/andon/:service/pull',
      {
        config: { access: 'read' },
        schema: {
          summary: 'Stop the line by hand: turn the trunk red (any role but client)',
          tags: ['andon'],
          params: z.object({ service: Service }),
          body: Reason,
          response: { 200: Change },
        },
      },
      (request) => move('pull', request),
    );

    app.post(
      '/v1/andon/:service/release',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Restart the line by hand: turn the trunk green (admin, with a reason)',
          tags: ['andon'],
          params: z.object({ service: Service }),
          body: Reason,
          response: { 200: Change },
        },
      },
      (request) => move('release', request),
    );
  };
