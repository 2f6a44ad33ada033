import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { BusinessMetricsSink } from '../analysis/index.js';
import type { Andon } from '../andon/index.js';
import type { ArtifactStore } from '../artifacts/index.js';
import type { Where } from '../audit/index.js';
import type { AuditLog } from '../audit/types.js';
import type { Authorize, SessionService, TokenService } from '../auth/types.js';
import type { Catalog } from '../catalog/index.js';
import type { Clock } from '../core/clock.js';
import type { Settings } from '../core/settings.js';
import type { DeployController, DeployRecords, EnvironmentService } from '../deploy/index.js';
import type { FlagService, FlagStreamHub, FlagTriggers } from '../flags/service/index.js';
import type { HistoryImport } from '../history/index.js';
import type { Incidents } from '../incidents/index.js';
import type { Metrics } from '../metrics/index.js';
import type { RunIntake } from '../pipeline/index.js';
import type { Policies } from '../policy/index.js';
import type { QualityReports } from '../quality/index.js';
import type { SecretService } from '../secrets/index.js';
import type { Store } from '../store/index.js';
import { credentialCheck, type LocalAccess, registerAuth } from './auth.js';
import { registerBodyRules } from './body.js';
import { registerDashboard } from './dashboard.js';
import { handleClientError, handleError, handleFrameworkError, handleNotFound } from './errors.js';
import type { LiveEventHub } from './live-events.js';
import { registerOpenApi } from './openapi.js';
import { andonRoutes } from './routes/andon.js';
import { artifactTransferRoutes } from './routes/artifact-transfer.js';
import { auditRoutes } from './routes/audit.js';
import { catalogRoutes } from './routes/catalog.js';
import { configRoutes } from './routes/config.js';
import { deployRoutes } from './routes/deploy.js';
import { environmentRoutes } from './routes/environments.js';
import { eventRoutes } from './routes/events.js';
import { flagRoutes } from './routes/flags.js';
import { registerFlagCors } from './routes/flags-cors.js';
import { flagHookRoutes } from './routes/flags-hooks.js';
import { historyRoutes } from './routes/history.js';
import { incidentRoutes } from './routes/incidents.js';
import { metricsRoutes } from './routes/metrics.js';
import { policyRoutes } from './routes/policies.js';
import { qualityRoutes } from './routes/quality.js';
import { releaseRoutes } from './routes/releases.js';
import { runRoutes } from './routes/runs.js';
import { secretRoutes } from './routes/secrets.js';
import { sessionRoutes } from './routes/session.js';
import { systemRoutes } from './routes/system.js';
import { tokenRoutes } from './routes/tokens.js';

/** What the HTTP layer needs; wired by the composition root (src/app). */
export interface ServerDeps {
  readonly version: string;
  readonly tokens: TokenService;
  readonly authorize: Authorize;
  readonly audit: AuditLog;
  readonly catalog: Catalog;
  /** Flag sets, their delivery (ETag, stream, evaluation) and changes. */
  readonly flags: FlagService;
  /** The flag event streams (SSE) subscribers attach to; the server ends its own at close. */
  readonly flagStreams: Pick<FlagStreamHub, 'subscribe'>;
  readonly flagTriggers: FlagTriggers;
  /** Secret values per service and environment: names listed, values set and removed, never read. */
  readonly secrets: SecretService;
  /** Artifacts uploaded from CI machines are recorded in it. */
  readonly store: Store;
  /** Runs recorded from CI machines and their logs; without it those routes are off. */
  readonly intake?: RunIntake;
  readonly andon: Andon;
  readonly incidents: Incidents;
  /** The DORA keys and the value stream, computed from the store's records. */
  readonly metrics: Metrics;
  readonly clock: Clock;
  /** History from before Flowline (admin only: it changes everyone's metrics). */
  readonly history: HistoryImport;
  /** The quality plan's report and sign-offs. */
  readonly qualityReports: QualityReports;
  readonly artifacts: ArtifactStore;
  /** What the server allows each service (docs/adr/0010-trust-model.md). */
  readonly policies: Policies;
  /** Where this server runs, for audit events of API calls. */
  readonly where: Where;
  /** The data plane's controls; their routes exist only where it runs (`flowline serve`). */
  readonly deploy?: DeployController;
  readonly records?: DeployRecords;
  /** Previews on demand and environment status (with the data plane). */
  readonly environments?: EnvironmentService;
  readonly business?: BusinessMetricsSink;
  readonly routerMetrics?: () => string | Promise<string>;
  /** Access for local CLI commands through the daemon file (see auth.ts). */
  readonly local?: LocalAccess;
  /** Dashboard sign-in: sessions bound to API tokens (docs/adr/0019-browser-sessions.md). */
  readonly sessions?: SessionService;
  /** What happens, as server-sent events (`GET /v1/events`); without it that route is off. */
  readonly liveEvents?: Pick<LiveEventHub, 'subscribe'>;
  /** The built dashboard (`dist/web/`) served at `/`; without it, unknown paths are JSON 404s. */
  readonly dashboardDir?: string;
  /** `corsOrigins`: web origins whose pages may call the flag delivery routes. */
  readonly settings?: Pick<Settings, 'corsOrigins'>;
}

export interface ServerOptions {
  /** Largest accepted request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** Log requests as JSON lines to stdout (off in tests and the embedded CLI). */
  readonly logger?: boolean;
  /** Where the log goes instead of stdout (tests that read it). */
  readonly logStream?: NodeJS.WritableStream;
}

/** Builds the API server without listening, so tests can `inject()` or listen on port 0. */
export async function buildServer(deps: ServerDeps, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    logger:
      options.logger === true
        ? {
            level: 'warn',
            redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
            ...(options.logStream === undefined ? {} : { stream: options.logStream }),
          }
        : false,
    // Keep request handling predictable under load balancers that reuse connections.
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    // The longest name a path takes is a flag key (1024 characters); longer segments are refused.
    routerOptions: { maxParamLength: 1024 },
    // Every answer in our shape, also those given before any route runs (see errors.ts).
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: handleClientError,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  if (deps.dashboardDir === undefined) app.setNotFoundHandler(handleNotFound);
  else registerDashboard(app, deps.dashboardDir); // its not-found handler keeps API 404s in JSON
  registerBodyRules(app);

  await registerOpenApi(app, deps.version);
  await registerFlagCors(app, deps.settings?.corsOrigins ?? []); // before auth: preflights carry no token
  registerAuth(app, deps.tokens, deps.authorize, deps.local, deps.sessions);

  await app.register(systemRoutes(deps.version));
  await app.register(tokenRoutes(deps.tokens));
  if (deps.sessions !== undefined) await app.register(sessionRoutes(deps.sessions));
  if (deps.liveEvents !== undefined) {
    const recheck = credentialCheck(deps.tokens, deps.sessions, deps.local);
    await app.register(eventRoutes({ hub: deps.liveEvents, recheck }));
  }
  await app.register(auditRoutes(deps.audit));
  await app.register(catalogRoutes(deps.catalog));
  await app.register(configRoutes());
  const where = () => deps.where;
  await app.register(andonRoutes({ andon: deps.andon, where }));
  await app.register(incidentRoutes({ incidents: deps.incidents, authorize: deps.authorize, where }));
  await app.register(metricsRoutes({ metrics: deps.metrics, authorize: deps.authorize, clock: deps.clock }));
  await app.register(historyRoutes({ history: deps.history, authorize: deps.authorize, where }));
  await app.register(
    policyRoutes({ policies: deps.policies, catalog: deps.catalog, authorize: deps.authorize, where }),
  );
  await app.register(
    artifactTransferRoutes({ artifacts: deps.artifacts, catalog: deps.catalog, db: deps.store.db }),
  );
  if (deps.intake !== undefined) await app.register(runRoutes({ intake: deps.intake }));
  await app.register(
    qualityRoutes({
      ...(deps.intake === undefined ? {} : { intake: deps.intake }),
      reports: deps.qualityReports,
      where,
      now: () => new Date(),
    }),
  );
  await app.register(
    flagRoutes({
      flags: deps.flags,
      streams: deps.flagStreams,
      triggers: deps.flagTriggers,
      authorize: deps.authorize,
      where,
      clock: deps.clock,
    }),
  );
  await app.register(
    flagHookRoutes({
      triggers: deps.flagTriggers,
      incidents: deps.incidents,
      tokens: deps.tokens,
      authorize: deps.authorize,
      where,
    }),
  );
  await app.register(secretRoutes({ secrets: deps.secrets, authorize: deps.authorize, where }));
  if (deps.deploy !== undefined) {
    await app.register(deployRoutes(deps.deploy, deps.authorize, () => deps.where));
  }
  if (deps.deploy !== undefined && deps.environments !== undefined) {
    await app.register(environmentRoutes(deps.environments, deps.authorize, () => deps.where));
  }
  if (deps.deploy !== undefined && deps.records !== undefined && deps.business !== undefined) {
    await app.register(
      releaseRoutes({
        deploy: deps.deploy,
        records: deps.records,
        catalog: deps.catalog,
        business: deps.business,
        authorize: deps.authorize,
        where: () => deps.where,
        metrics: deps.routerMetrics ?? (() => ''),
      }),
    );
  }

  app.get('/v1/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  return app;
}
