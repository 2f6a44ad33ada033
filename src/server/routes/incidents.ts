import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Where } from '../../audit/index.js';
import type { Authorize } from '../../auth/index.js';
import { compact } from '../../core/objects.js';
import type { Incidents } from '../../incidents/index.js';
import { principalOf } from '../auth.js';

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');
const Id = z.object({ id: z.string().regex(/^inc_[0-9a-z]{1,64}$/, 'an incident id (inc_…)') });

const Incident = z
  .object({
    id: z.string(),
    service: z.string(),
    environment: z.string(),
    title: z.string(),
    source: z.string(),
    status: z.enum(['open', 'acknowledged', 'resolved']),
    openedAt: z.string(),
    openedBy: z.string(),
    acknowledgedAt: z.string().nullable(),
    acknowledgedBy: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    resolvedBy: z.string().nullable(),
    resolution: z.string().nullable(),
    cause: z
      .object({ kind: z.enum(['deployment', 'flagChange']), id: z.string(), inferred: z.boolean() })
      .nullable()
      .describe(
        'the change that caused it: by record, or inferred (the last change of the environment before it)',
      ),
  })
  .meta({ id: 'Incident' });

/**
 * Incidents. Anyone who reads an environment may report a problem in it (as anyone may pull the
 * andon cord); acknowledging and resolving, which end the recovery-time interval, need `deploy`.
 * Every route checks the environment against the token's scope.
 */
export const incidentRoutes =
  (deps: { incidents: Incidents; authorize: Authorize; where: () => Where }): FastifyPluginAsyncZod =>
  async (app) => {
    const { incidents, authorize } = deps;
    app.get(
      '/v1/incidents',
      {
        config: { access: 'read' },
        schema: {
          summary: 'List incidents, newest first (unresolved ones unless `status` says otherwise)',
          tags: ['incidents'],
          querystring: z.strictObject({
            service: Name.optional(),
            environment: Name.optional(),
            status: z.enum(['open', 'acknowledged', 'resolved', 'unresolved', 'all']).default('unresolved'),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          }),
          response: { 200: z.object({ incidents: z.array(Incident) }) },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const listed = await incidents.list(compact(request.query));
        const visible = principal.environments;
        return {
          incidents: visible === null ? listed : listed.filter((i) => visible.includes(i.environment)),
        };
      },
    );

    app.post(
      '/v1/incidents',
      {
        config: { access: 'read' },
        schema: {
          summary: 'Open an incident: a problem users have in an environment',
          description:
            'Linked to `deployment` when given (one of the same environment), else to the last deployment or flag change of the environment before it, marked inferred.',
          tags: ['incidents'],
          body: z.strictObject({
            service: Name,
            environment: Name,
            title: z.string().trim().min(1).max(500),
            deployment: z
              .string()
              .regex(/^dep_[0-9a-z]{1,64}$/)
              .optional(),
          }),
          response: { 201: z.object({ incident: Incident }) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        authorize(principal, 'read', request.body.environment);
        const { deployment, ...rest } = request.body;
        const input = deployment === undefined ? rest : { ...rest, deployment };
        const incident = await incidents.open(input, { actor: principal.actor, where: deps.where() });
        return reply.code(201).send({ incident });
      },
    );

    for (const action of ['ack', 'resolve'] as const) {
      app.post(
        `/v1/incidents/:id/${action}`,
        {
          config: { access: 'deploy' },
          schema: {
            summary:
              action === 'ack'
                ? 'Acknowledge an incident: someone is on it'
                : 'Resolve an incident: users are fine again (ends its recovery time)',
            tags: ['incidents'],
            params: Id,
            body: z.strictObject({ resolution: z.string().trim().min(1).max(2000).optional() }).optional(),
            response: { 200: z.object({ incident: Incident }) },
          },
        },
        async (request) => {
          const principal = principalOf(request);
          const current = await incidents.get(request.params.id);
          authorize(principal, 'deploy', current.environment);
          const by = { actor: principal.actor, where: deps.where() };
          const incident =
            action === 'ack'
              ? await incidents.acknowledge(current.id, by)
              : await incidents.resolve(current.id, request.body?.resolution, by);
          return { incident };
        },
      );
    }
  };
