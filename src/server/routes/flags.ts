import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Where } from '../../audit/index.js';
import type { Authorize } from '../../auth/index.js';
import { FlowlineError } from '../../core/errors.js';
import {
  etagMatches,
  type FlagService,
  type FlagStreamHub,
  type FlagTriggers,
  type ServedFlagSet,
  type StreamSink,
} from '../../flags/service/index.js';
import { principalOf } from '../auth.js';

/**
 * Read-your-writes: a client that wrote version N (the CLI after `flowline flags kill`) sends
 * `X-Flowline-Min-Version: N`, and a server still holding an older set looks at the store at
 * once instead of waiting for its poll. Delivery answers name the version they come from.
 */
const MIN_VERSION = 'x-flowline-min-version';
/** The version of the set an evaluation answered from. */
const SERVED_VERSION = 'x-flowline-flags-version';

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');
const FlagKey = z.string().min(1).max(1024);
const SetParams = z.object({ service: Name, environment: Name });
const Context = z
  .record(z.string(), z.unknown())
  .describe('The evaluation context: `targetingKey` and attributes');
const Definition = z.record(z.string(), z.unknown());

/** A subscriber that stops reading is dropped once this much is queued for it. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface FlagRouteDeps {
  readonly flags: FlagService;
  /** Built by the composition root; it outlives a server that stops and starts again. */
  readonly streams: Pick<FlagStreamHub, 'subscribe'>;
  readonly triggers: FlagTriggers;
  readonly authorize: Authorize;
  readonly where: () => Where;
}

/**
 * Flags over HTTP. Delivery (the set with its ETag, the event stream, evaluation, counts of
 * evaluations done by SDKs) needs the `client` role or more with the environment in scope; changes
 * need `deploy`. Every write answers the new document and its `ETag`, and honours `If-Match`.
 * Routes marked `browser` answer CORS requests from the configured origins (flags-cors.ts).
 */
export const flagRoutes =
  (deps: FlagRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { flags, streams, authorize } = deps;
    // The streams this server holds open: a closing server ends them, or it would wait on them.
    const open = new Set<() => void>();
    app.addHook('preClose', async () => {
      for (const end of open) end();
    });

    app.get(
      '/v1/flags/:service/:environment',
      {
        config: { access: 'client', browser: true },
        schema: {
          summary: 'The flag set with its version and ETag (304 with a matching If-None-Match)',
          tags: ['flags'],
          params: SetParams,
        },
      },
      (request, reply) => {
        const { service, environment } = request.params;
        authorize(principalOf(request), 'client', environment);
        const answer = (served: ServedFlagSet) => {
          const etag = served.document.etag;
          void reply.header('etag', etag).header('cache-control', 'no-cache');
          const ifNoneMatch = request.headers['if-none-match'];
          if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, etag, true))
            return reply.code(304).send();
          return reply.type('application/json; charset=utf-8').send(served.json);
        };
        // Not async: a set in memory is answered without a promise (docs/adr/0014-token-cache.md).
        const served = flags.served(service, environment, minVersion(request));
        return served instanceof Promise ? served.then(answer) : answer(served);
      },
    );

    app.get(
      '/v1/flags/:service/:environment/stream',
      {
        config: { access: 'client', browser: true },
        schema: {
          summary: 'Server-sent events: `event: flags` with the set on connect and on every change',
          tags: ['flags'],
          params: SetParams,
        },
      },
      async (request, reply) => {
        const { service, environment } = request.params;
        authorize(principalOf(request), 'client', environment);
        await flags.served(service, environment); // fail before the stream starts, not inside it
        reply.hijack();
        const raw = reply.raw;
        // A hijacked reply sends only what is written on `raw`: keep the headers hooks set (CORS).
        for (const [name, value] of Object.entries(reply.getHeaders()))
          if (value !== undefined) raw.setHeader(name, value);
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        raw.flushHeaders(); // a client already current gets no event yet, but must see the 200 now
        request.raw.socket.setNoDelay(true);
        let remove = () => {};
        const sink: StreamSink = {
          write(chunk) {
            if (raw.destroyed) return;
            if (raw.writableLength > MAX_BUFFERED_BYTES) raw.destroy();
            else raw.write(chunk);
          },
          end: () => raw.end(),
        };
        const end = () => {
          remove();
          raw.end();
        };
        open.add(end);
        raw.on('close', () => {
          open.delete(end);
          remove();
        });
        const lastEventId = request.headers['last-event-id'];
        remove = await streams.subscribe(
          service,
          environment,
          sink,
          typeof lastEventId === 'string' ? lastEventId : undefined,
        );
        if (raw.destroyed) remove();
      },
    );

    app.post(
      '/v1/flags/:service/:environment/evaluate',
      {
        config: { access: 'client' },
        schema: {
          summary: 'Evaluate one flag: { value, variant, reason, errorCode?, errorMessage?, flagMetadata? }',
          tags: ['flags'],
          params: SetParams,
          body: z.strictObject({ flag: FlagKey, context: Context.default({}) }),
        },
      },
      (request, reply) => {
        const { service, environment } = request.params;
        authorize(principalOf(request), 'client', environment);
        const answer = (served: ServedFlagSet) => {
          void reply.header(SERVED_VERSION, served.document.version);
          return flags.evaluateIn(served, request.body.flag, request.body.context);
        };
        const served = flags.served(service, environment, minVersion(request));
        return served instanceof Promise ? served.then(answer) : answer(served);
      },
    );

    app.post(
      '/v1/flags/:service/:environment/evaluate/bulk',
      {
        config: { access: 'client' },
        schema: {
          summary: 'Evaluate every flag (or those listed): { flags: { <key>: result } }',
          tags: ['flags'],
          params: SetParams,
          body: z.strictObject({
            context: Context.default({}),
            flags: z.array(FlagKey).max(2000).optional(),
          }),
        },
      },
      (request, reply) => {
        const { service, environment } = request.params;
        authorize(principalOf(request), 'client', environment);
        const answer = (served: ServedFlagSet) => {
          void reply.header(SERVED_VERSION, served.document.version);
          return { flags: flags.evaluateBulkIn(served, request.body.context, request.body.flags) };
        };
        const served = flags.served(service, environment, minVersion(request));
        return served instanceof Promise ? served.then(answer) : answer(served);
      },
    );

    app.post(
      '/v1/flags/:service/:environment/evaluations',
      {
        config: { access: 'client', browser: true },
        schema: {
          summary:
            'Add evaluations an SDK performed locally to the counts: { evaluations: [{ flag, variant, count }] }',
          tags: ['flags'],
          params: SetParams,
          body: z.strictObject({
            evaluations: z
              .array(
                z.strictObject({
                  flag: FlagKey,
                  variant: z.string().min(1).max(1024),
                  count: z.number().int().min(1).max(1_000_000_000),
                }),
              )
              .max(1000),
          }),
        },
      },
      async (request, reply) => {
        const { service, environment } = request.params;
        authorize(principalOf(request), 'client', environment);
        // 202: the counts are written with the server's own at its next flush (within seconds).
        return reply
          .code(202)
          .send(await flags.countEvaluations(service, environment, request.body.evaluations));
      },
    );

    app.get(
      '/v1/flags/:service',
      {
        config: { access: 'read' },
        schema: {
          summary: "Every environment's flags of a service, with last change and evaluation counts",
          tags: ['flags'],
          params: z.object({ service: Name }),
        },
      },
      async (request) => {
        const scope = principalOf(request).environments;
        const overview = await flags.overview(request.params.service);
        return scope === null
          ? overview
          : {
              ...overview,
              environments: overview.environments.filter((env) => scope.includes(env.environment)),
            };
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

    /** The version the request asks for at least (`X-Flowline-Min-Version`); 0 when it does not. */
    function minVersion(request: FastifyRequest): number {
      const value = request.headers[MIN_VERSION];
      if (value === undefined) return 0;
      if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return Number(value);
      throw new FlowlineError(
        'FLOWLINE_REQUEST_INVALID',
        `The ${MIN_VERSION} header is not a version number.`,
        {
          hint: `Send the version a write answered (a whole number), once, or leave ${MIN_VERSION} out.`,
          location: { path: `headers.${MIN_VERSION}` },
        },
      );
    }

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
