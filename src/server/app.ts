import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { BusinessMetricsSink } from '../analysis/index.js';
import type { Where } from '../audit/index.js';
import type { AuditLog } from '../audit/types.js';
import type { Authorize, TokenService } from '../auth/types.js';
import type { Catalog } from '../catalog/index.js';
import type { DeployController, DeployRecords, EnvironmentService } from '../deploy/index.js';
import type { FlagService, FlagTriggers } from '../flags/service/index.js';
import { type LocalAccess, registerAuth } from './auth.js';
import { handleError, handleNotFound } from './errors.js';
import { auditRoutes } from './routes/audit.js';
import { catalogRoutes } from './routes/catalog.js';
import { configRoutes } from './routes/config.js';
import { deployRoutes } from './routes/deploy.js';
import { environmentRoutes } from './routes/environments.js';
import { flagRoutes } from './routes/flags.js';
import { flagHookRoutes } from './routes/flags-hooks.js';
import { releaseRoutes } from './routes/releases.js';
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
  readonly flagTriggers: FlagTriggers;
  /** Where this server runs, for audit events of API calls. */
  readonly where: Where;
  /** The data plane's controls; their routes exist only where it runs (`flowline serve`). */
  readonly deploy?: DeployController;
  readonly records?: DeployRecords;
  /** Previews on demand and environment status (with the data plane). */
  readonly environments?: EnvironmentService;
  readonly business?: BusinessMetricsSink;
  readonly routerMetrics?: () => string;
  /** Access for local CLI commands through the daemon file (see auth.ts). */
  readonly local?: LocalAccess;
}

export interface ServerOptions {
  /** Largest accepted request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** Log requests as JSON lines to stdout (off in tests and the embedded CLI). */
  readonly logger?: boolean;
}

/** Builds the API server without listening, so tests can `inject()` or listen on port 0. */
export async function buildServer(deps: ServerDeps, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    logger:
      options.logger === true
        ? { level: 'warn', redact: ['req.headers.authorization', 'req.headers.cookie'] }
        : false,
    // Keep request handling predictable under load balancers that reuse connections.
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  // The API speaks JSON only; without this, text/plain bodies would reach the schemas as strings.
  app.removeContentTypeParser('text/plain');

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Flowline API',
        version: deps.version,
        description: 'Every route but /v1/health and /v1/openapi.json needs `Authorization: Bearer <token>`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  registerAuth(app, deps.tokens, deps.authorize, deps.local);

  await app.register(systemRoutes(deps.version));
  await app.register(tokenRoutes(deps.tokens));
  await app.register(auditRoutes(deps.audit));
  await app.register(catalogRoutes(deps.catalog));
  await app.register(configRoutes());
  const where = () => deps.where;
  await app.register(
    flagRoutes({ flags: deps.flags, triggers: deps.flagTriggers, authorize: deps.authorize, where }),
  );
  await app.register(
    flagHookRoutes({ triggers: deps.flagTriggers, tokens: deps.tokens, authorize: deps.authorize, where }),
  );
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
