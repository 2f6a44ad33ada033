import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Authorize } from '../../auth/index.js';
import { FlowlineError } from '../../core/errors.js';
import {
  etagMatches,
  type FlagService,
  type FlagStreamHub,
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

export const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');
export const FlagKey = z.string().min(1).max(1024);
export const SetParams = z.object({ service: Name, environment: Name });
const Context = z
  .record(z.string(), z.unknown())
  .describe('The evaluation context: `targetingKey` and attributes');

/** A subscriber that stops reading is dropped once this much is queued for it. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface FlagDeliveryDeps {
  readonly flags: FlagService;
  /** Built by the composition root; it outlives a server that stops and starts again. */
  readonly streams: Pick<FlagStreamHub, 'subscribe'>;
  readonly authorize: Authorize;
}

/**
 * What apps and the OpenFeature providers call, with the `client` role or more and the
 * environment in scope: the set with its ETag, the event stream, evaluation, and counts of
 * evaluations SDKs did themselves. The evaluation handlers are plain functions: a set in memory
 * is answered without a promise (docs/adr/0014-token-cache.md).
 */
export const flagDeliveryRoutes =
  (deps: FlagDeliveryDeps): FastifyPluginAsyncZod =>
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
  };
