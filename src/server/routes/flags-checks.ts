import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Authorize } from '../../auth/index.js';
import { FlowlineError, httpStatusOf } from '../../core/errors.js';
import type { FlagService } from '../../flags/service/index.js';
import { principalOf } from '../auth.js';
import { FlagKey, SetParams } from './flags-delivery.js';

export interface FlagCheckRouteDeps {
  readonly flags: Pick<FlagService, 'check' | 'evaluationHours'>;
  readonly authorize: Authorize;
}

/** How far back `GET …/evaluations` reads, in hours (the store keeps 8 days). */
const RANGES = { '24h': 24, '7d': 168 } as const;

/**
 * Flag routes that read without changing anything, for editors and charts: a dry run of a write
 * (the dashboard's rule editor validates as the user types, with the write's own error), and
 * evaluation counts per hour. Both need `read` on the environment.
 */
export const flagCheckRoutes =
  (deps: FlagCheckRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { flags, authorize } = deps;

    app.post(
      '/v1/flags/:service/:environment/validate',
      {
        config: { access: 'read' },
        bodyLimit: 5 * 1024 * 1024,
        schema: {
          summary:
            'Check a flag set (or with ?flag=, one flag) as PUT (or POST …/{flag}) would, writing nothing',
          tags: ['flags'],
          params: SetParams,
          querystring: z.strictObject({ flag: FlagKey.optional() }),
          body: z.record(z.string(), z.unknown()),
        },
      },
      async (request) => {
        const { service, environment } = request.params;
        authorize(principalOf(request), 'read', environment);
        try {
          const { version, etag } = await flags.check(service, environment, request.body, request.query.flag);
          return { valid: true, version, etag };
        } catch (error) {
          // The write's refusal is this route's answer, not its failure: 200 with the very error
          // body (code, issues with paths, hint) and the status the write would have answered.
          if (!(error instanceof FlowlineError)) throw error;
          return { valid: false, status: httpStatusOf(error.code), error: error.toJSON() };
        }
      },
    );

    app.get(
      '/v1/flags/:service/:environment/evaluations',
      {
        config: { access: 'read' },
        schema: {
          summary: 'Evaluations per flag and variant per hour, over the last 24 hours or 7 days',
          tags: ['flags'],
          params: SetParams,
          querystring: z.strictObject({
            range: z.enum(['24h', '7d']).default('24h'),
            flag: FlagKey.optional(),
          }),
        },
      },
      async (request) => {
        const { service, environment } = request.params;
        authorize(principalOf(request), 'read', environment);
        const { range, flag } = request.query;
        const series = await flags.evaluationHours(service, environment, { hours: RANGES[range], flag });
        return { ...series, range };
      },
    );
  };
