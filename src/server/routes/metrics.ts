import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Authorize } from '../../auth/index.js';
import type { Clock } from '../../core/clock.js';
import { compact } from '../../core/objects.js';
import { type Metrics, type MetricsQuery, metricsQuery } from '../../metrics/index.js';
import { principalOf } from '../auth.js';

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');

const Query = z.strictObject({
  service: Name.optional().describe('one service; every service with the environment when absent'),
  environment: Name.optional().describe('`production` when absent'),
  since: z
    .string()
    .max(64)
    .optional()
    .describe('a duration back from now (`30d`) or a date; not with `from`'),
  from: z.string().max(64).optional().describe('the window start: a date or a duration back from now'),
  to: z.string().max(64).optional().describe('the window end (exclusive); now when absent'),
  utcOffset: z
    .string()
    .max(16)
    .optional()
    .describe('the team calendar for deployment days and cumulative flow, `±HH:MM`; UTC when absent'),
  commitTime: z.enum(['committed', 'authored']).optional().describe('which git time starts lead time'),
});

/** Each service's figures; the shapes are docs/metrics.md's and the TypeScript types of src/metrics. */
const Result = (id: string) =>
  z
    .object({
      environment: z.string(),
      window: z.object({ from: z.string(), to: z.string() }),
      services: z
        .array(z.unknown())
        .readonly()
        .describe('one report per service, each with its `scope`; fields as in docs/metrics.md'),
    })
    .meta({ id });

/**
 * Delivery metrics, read role. A token scoped to some environments reads only theirs: the
 * figures list deployment, commit and incident ids of the environment.
 */
export const metricsRoutes =
  (deps: { metrics: Metrics; authorize: Authorize; clock: Clock }): FastifyPluginAsyncZod =>
  async (app) => {
    const { metrics, authorize, clock } = deps;
    const queryOf = (raw: z.infer<typeof Query>): MetricsQuery =>
      metricsQuery(compact(raw), clock.now(), {
        code: 'FLOWLINE_REQUEST_INVALID',
        names: { since: 'since', from: 'from', to: 'to' },
        offsetName: 'utcOffset',
      });

    app.get(
      '/v1/metrics/dora',
      {
        config: { access: 'read' },
        schema: {
          summary: 'The five DORA keys per service, with their clusters and the ids behind each figure',
          tags: ['metrics'],
          querystring: Query,
          response: { 200: Result('DoraResult') },
        },
      },
      async (request) => {
        const query = queryOf(request.query);
        authorize(principalOf(request), 'read', query.environment);
        return metrics.dora(query);
      },
    );

    app.get(
      '/v1/metrics/flow',
      {
        config: { access: 'read' },
        schema: {
          summary:
            'The value stream per service: time per stage, batch sizes, work in progress, cumulative flow',
          tags: ['metrics'],
          querystring: Query,
          response: { 200: Result('FlowResult') },
        },
      },
      async (request) => {
        const query = queryOf(request.query);
        authorize(principalOf(request), 'read', query.environment);
        return metrics.flow(query);
      },
    );
  };
