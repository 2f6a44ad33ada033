import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BusinessMetricsSink } from '../../analysis/index.js';
import type { Where } from '../../audit/index.js';
import type { Authorize } from '../../auth/index.js';
import type { Catalog } from '../../catalog/index.js';
import { FlowlineError } from '../../core/errors.js';
import { type DeployController, type DeployRecords, measurementSeries } from '../../deploy/index.js';
import { principalOf } from '../auth.js';

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');

export interface ReleaseRouteDeps {
  readonly deploy: DeployController;
  readonly records: DeployRecords;
  readonly catalog: Catalog;
  readonly business: BusinessMetricsSink;
  readonly authorize: Authorize;
  readonly where: () => Where;
  /** Prometheus text of the router's signals. */
  readonly metrics: () => string | Promise<string>;
}

/** Release status and control, pushed business metrics, and the router's Prometheus metrics. */
export const releaseRoutes =
  (deps: ReleaseRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/releases/:service/:environment',
      {
        config: { access: 'read' },
        schema: {
          summary:
            'The latest release of an environment: its phase, step, traffic split, analysis series and journal',
          tags: ['releases'],
          params: z.object({ service: Name, environment: Name }),
          querystring: z.strictObject({ lines: z.coerce.number().int().min(1).max(500).default(30) }),
        },
      },
      async (request) => {
        const { service, environment } = request.params;
        const [latest] = await deps.catalog.listDeployments({ service, environment, limit: 1 });
        if (latest === undefined) {
          throw new FlowlineError(
            'FLOWLINE_NOT_FOUND',
            `Nothing was ever deployed to ${environment} of ${service}.`,
            {
              hint: `Deploy with \`flowline deploy ${environment}\`.`,
            },
          );
        }
        const env = await deps.catalog.findEnvironment(service, environment);
        const route =
          env === undefined
            ? undefined
            : (await deps.records.routes()).find((r) => r.environmentId === env.id);
        const release = await deps.records.releaseOf(latest.id);
        const strategy = release.plan?.strategy ?? null;
        return {
          deployment: latest,
          phase: (await deps.records.unfinished()).find((d) => d.id === latest.id)?.phase ?? null,
          // The revision it brings and the one it replaces: the two a split sends traffic to.
          revision: release.revision,
          previousRevision: release.previousRevision,
          // Where the strategy stands: the 0-based step of `strategy.steps` and the canary's weight.
          step: typeof release.state.step === 'number' ? release.state.step : null,
          weight: typeof release.state.weight === 'number' ? release.state.weight : null,
          paused: release.state.paused === true,
          strategy,
          analysis: measurementSeries(release.measurements, release.plan),
          traffic: route?.target.backends ?? [],
          host: route?.host ?? null,
          // What users open: the host through the router, with the router's port.
          url: route === undefined ? null : deps.deploy.urlFor(route.host),
          journal: await deps.records.journalOf(latest.id, request.query.lines),
        };
      },
    );

    app.post(
      '/v1/releases/:service/:environment/:action',
      {
        config: { access: 'deploy' },
        schema: {
          summary: 'Promote, pause, resume or abort the release under way',
          tags: ['releases'],
          params: z.object({
            service: Name,
            environment: Name,
            action: z.enum(['promote', 'pause', 'resume', 'abort']),
          }),
          body: z.strictObject({ full: z.boolean().default(false) }).default({ full: false }),
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const { service, environment, action } = request.params;
        await deps.deploy.authorizeEnvironment(principal, service, environment);
        return deps.deploy.control({
          service,
          environment,
          action: action === 'promote' && request.body.full ? 'promoteFull' : action,
          actor: principal.actor,
          where: deps.where(),
        });
      },
    );

    app.post(
      '/v1/metrics/business',
      {
        config: { access: 'deploy' },
        schema: {
          summary: 'Push a business metric (e.g. orders per minute) for release analysis',
          tags: ['releases'],
          body: z.strictObject({
            service: Name,
            environment: Name,
            revision: z.string().max(100).optional(),
            name: z
              .string()
              .regex(
                /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/,
                'letters, digits, `-`, `_` and `.` (as the analysis reads them)',
              ),
            value: z.number().finite(),
            at: z.iso.datetime().optional(),
          }),
        },
      },
      async (request, reply) => {
        const { at, revision, ...point } = request.body;
        deps.authorize(principalOf(request), 'deploy', point.environment);
        await deps.business.push({
          ...point,
          ...(revision === undefined ? {} : { revision }),
          at: at === undefined ? new Date() : new Date(at),
        });
        void reply.status(202);
        return { accepted: true };
      },
    );

    app.get(
      '/metrics',
      {
        config: { access: 'read' },
        schema: { summary: 'Prometheus metrics of the router', tags: ['system'] },
      },
      async (_request, reply) => {
        void reply.type('text/plain; version=0.0.4');
        return deps.metrics();
      },
    );
  };
