import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf } from '../auth.js';
import type { LiveEventHub, LiveSubscriber } from '../live-events.js';

/** A client that has not read this much of its stream is too slow: it is dropped and reconnects. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface EventRouteDeps {
  readonly hub: Pick<LiveEventHub, 'subscribe'>;
  /** Checks the request's token or session again while its stream is open. */
  readonly recheck: (request: FastifyRequest) => () => Promise<unknown>;
}

/**
 * `GET /v1/events`: what happens in Flowline as server-sent events, for the dashboard to refresh
 * within a second (docs/api.md#live-events). `retry: 2000` first, a comment every 15 s, and the
 * stream ends when the server closes or the credential stops being valid.
 */
export const eventRoutes =
  (deps: EventRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // This server's open streams: a closing server ends them, or it would wait on them forever.
    const open = new Set<() => void>();
    app.addHook('preClose', async () => {
      for (const end of [...open]) end();
    });

    app.get(
      '/v1/events',
      {
        config: { access: 'read' },
        schema: {
          summary:
            'Server-sent events: deployments, releases, weights, flags, runs, andon, incidents and audit appends in your scope',
          tags: ['events'],
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const recheck = deps.recheck(request);
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        request.raw.socket.setNoDelay(true);
        let remove = () => {};
        const end = () => {
          open.delete(end);
          remove();
          if (!raw.destroyed) raw.end();
        };
        const subscriber: LiveSubscriber = {
          principal,
          write(text) {
            if (raw.destroyed) return;
            if (raw.writableLength > MAX_BUFFERED_BYTES) raw.destroy();
            else raw.write(text);
          },
          end,
          recheck,
        };
        open.add(end);
        raw.on('close', end);
        remove = await deps.hub.subscribe(subscriber);
        if (raw.destroyed) return end();
        // Sent once the hub follows everything: a client that sees it misses nothing after.
        raw.write('retry: 2000\n\n');
      },
    );
  };
