import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Where } from '../../audit/index.js';
import type { Authorize } from '../../auth/index.js';
import type { Clock } from '../../core/clock.js';
import {
  type FlagService,
  type FlagStreamHub,
  type FlagTriggers,
  findStale,
} from '../../flags/service/index.js';
import { principalOf } from '../auth.js';
import { flagCheckRoutes } from './flags-checks.js';
import { FlagKey, flagDeliveryRoutes, Name, SetParams } from './flags-delivery.js';

const Definition = z.record(z.string(), z.unknown());

export interface FlagRouteDeps {
  readonly flags: FlagService;
  /** Built by the composition root; it outlives a server that stops and starts again. */
  readonly streams: Pick<FlagStreamHub, 'subscribe'>;
  readonly triggers: FlagTriggers;
  readonly authorize: Authorize;
  readonly where: () => Where;
  /** For `stale` in the overview (a settled flag is stale after `staleDays` unchanged). */
  readonly clock: Clock;
}

/**
 * Flags over HTTP. Delivery (flags-delivery.ts: the set with its ETag, the event stream,
 * evaluation, counts of evaluations done by SDKs) needs the `client` role or more with the
 * environment in scope; reading history and activity needs `read`; changes need `deploy`. Every write answers the new document and its `ETag`, and honours `If-Match`.
 * Routes marked `browser` answer CORS requests from the configured origins (flags-cors.ts).
 */
export const flagRoutes =
  (deps: FlagRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { flags, authorize } = deps;
    await app.register(flagDeliveryRoutes(deps));
    await app.register(flagCheckRoutes(deps));

    app.get(
      '/v1/flags/:service',
      {
        config: { access: 'read' },
        schema: {
          summary:
            "Every environment's flags of a service, with last change, evaluation counts and stale flags",
          tags: ['flags'],
          params: z.object({ service: Name }),
          querystring: z.strictObject({ staleDays: z.coerce.number().int().min(0).max(3650).default(30) }),
        },
      },
      async (request) => {
        const scope = principalOf(request).environments;
        const overview = await flags.overview(request.params.service);
        const visible =
          scope === null
            ? overview
            : {
                ...overview,
                environments: overview.environments.filter((env) => scope.includes(env.environment)),
              };
        // As `flowline flags stale` without flowline.yaml at hand: the flags' own metadata decides.
        const staleDays = request.query.staleDays;
        const stale = findStale(visible, { now: deps.clock.now(), days: staleDays });
        return { ...visible, staleDays, stale };
      },
    );

    app.get(
      '/v1/flags/:service/:environment/history',
      {
        config: { access: 'read' },
        schema: {
          summary: 'The versions of a flag set, newest first: who changed which flags, and how',
          tags: ['flags'],
          params: SetParams,
          querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(50) }),
        },
      },
      async (request) => {
        const { service, environment } = request.params;
        authorize(principalOf(request), 'read', environment);
        return { history: await flags.history(service, environment, request.query.limit) };
      },
    );

    app.put(
      '/v1/flags/:service/:environment',
      {
        config: { access: 'deploy' },
        bodyLimit: 5 * 1024 * 1024,
        schema: {
          summary: 'Replace the whole flag set (If-Match: <etag> refuses a stale write with 412)',
          tags: ['flags'],
          params: SetParams,
          body: Definition,
        },
      },
      async (request, reply) => {
        const { service, environment } = request.params;
        const change = changeOf(request, environment);
        const document = await flags.replace(service, environment, request.body, change);
        return reply.header('etag', document.etag).send(document);
      },
    );

    app.post(
      '/v1/flags/:service/:environment/:flag',
      {
        config: { access: 'deploy' },
        schema: {
          summary: "Create or replace one flag's definition",
          tags: ['flags'],
          params: SetParams.extend({ flag: FlagKey }),
          body: Definition,
        },
      },
      async (request, reply) => {
        const { service, environment, flag } = request.params;
        const document = await flags.setFlag(
          service,
          environment,
          flag,
          request.body,
          changeOf(request, environment),
        );
        return reply.header('etag', document.etag).send(document);
      },
    );

    app.post(
      '/v1/flags/:service/:environment/:flag/:action',
      {
        config: { access: 'deploy' },
        schema: {
          summary:
            'Enable, disable, kill (optionally to a variant: the kill switch wins over everything) or unkill',
          tags: ['flags'],
          params: SetParams.extend({
            flag: FlagKey,
            action: z.enum(['enable', 'disable', 'kill', 'unkill']),
          }),
          body: z.strictObject({ variant: z.string().min(1).max(1024).optional() }).nullish(),
        },
      },
      async (request, reply) => {
        const { service, environment, flag, action } = request.params;
        const variant = request.body?.variant;
        const document = await flags.act(service, environment, flag, action, {
          ...changeOf(request, environment),
          ...(action === 'kill' && variant !== undefined ? { variant } : {}),
        });
        return reply.header('etag', document.etag).send(document);
      },
    );

    app.get(
      '/v1/flags/:service/:environment/triggers',
      {
        config: { access: 'read' },
        schema: {
          summary: 'The flag triggers of an environment (never their secrets)',
          tags: ['flags'],
          params: SetParams,
        },
      },
      async (request) => {
        const { service, environment } = request.params;
        authorize(principalOf(request), 'read', environment);
        return { triggers: await deps.triggers.list(service, environment) };
      },
    );

    app.post(
      '/v1/flags/:service/:environment/triggers',
      {
        config: { access: 'deploy' },
        schema: {
          summary:
            'Add a trigger that kills a flag on an alert or a signed webhook (a webhook secret is shown once)',
          tags: ['flags'],
          params: SetParams,
          body: z.strictObject({
            name: z.string().min(1).max(64),
            kind: z.enum(['alertmanager', 'webhook']),
            flag: FlagKey,
            match: z.record(z.string().min(1).max(200), z.string().max(1000)).optional(),
            variant: z.string().min(1).max(1024).optional(),
            restore: z.boolean().optional(),
          }),
        },
      },
      async (request, reply) => {
        const { service, environment } = request.params;
        const principal = principalOf(request);
        authorize(principal, 'deploy', environment);
        const { match, variant, restore, ...rest } = request.body;
        const created = await deps.triggers.add(
          {
            service,
            environment,
            ...rest,
            ...(match === undefined ? {} : { match }),
            ...(variant === undefined ? {} : { variant }),
            ...(restore === undefined ? {} : { restore }),
          },
          principal.actor,
          deps.where(),
        );
        return reply.status(201).header('cache-control', 'no-store').send(created);
      },
    );

    app.delete(
      '/v1/flags/:service/:environment/triggers/:name',
      {
        config: { access: 'deploy' },
        schema: {
          summary: 'Remove a flag trigger',
          tags: ['flags'],
          params: SetParams.extend({ name: z.string().min(1).max(64) }),
        },
      },
      async (request) => {
        const { service, environment, name } = request.params;
        const principal = principalOf(request);
        authorize(principal, 'deploy', environment);
        return {
          trigger: await deps.triggers.remove(service, environment, name, principal.actor, deps.where()),
        };
      },
    );

    /** Who changes the flags (a deploy token scoped to the environment), from where, with which If-Match. */
    function changeOf(request: FastifyRequest, environment: string) {
      const principal = principalOf(request);
      authorize(principal, 'deploy', environment);
      const ifMatch = request.headers['if-match'];
      return {
        actor: principal.actor,
        where: deps.where(),
        ...(typeof ifMatch === 'string' ? { ifMatch } : {}),
      };
    }
  };
