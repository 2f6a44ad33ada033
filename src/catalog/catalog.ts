import { FlowlineError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { knownCommits, recordCommitHistory } from '../metrics/commits.js';
import { isUniqueViolation } from '../store/index.js';
import {
  type CatalogContext,
  checkName,
  findServiceRow,
  inTx,
  limitOf,
  notFound,
  now,
  serviceRow,
} from './context.js';
import { finishRun, recordArtifact, setDeploymentStatus, startDeployment, startRun } from './records.js';
import { toArtifact, toDeployment, toEnvironment, toRun, toService } from './rows.js';
import type { Catalog, Environment, EnvironmentKind, EnvironmentOptions } from './types.js';

/** The catalog over the store. See {@link Catalog}. */
export function createCatalog(deps: CatalogContext): Catalog {
  const ctx: CatalogContext = { store: deps.store, clock: deps.clock };
  const { db } = ctx.store;

  const liveEnvironments = () =>
    db
      .selectFrom('environments')
      .innerJoin('services', 'services.id', 'environments.service_id')
      .selectAll('environments')
      .select('services.name as service_name')
      .where('environments.deleted_at', 'is', null);

  const findEnvironment = async (service: string, name: string): Promise<Environment | undefined> => {
    const row = await liveEnvironments()
      .where('services.name', '=', service)
      .where('environments.name', '=', name)
      .executeTakeFirst();
    return row === undefined ? undefined : toEnvironment(row);
  };

  /** Resolves a service filter up front, so a typo is an error rather than an empty list. */
  const serviceFilter = async (service: string | undefined) =>
    service === undefined ? undefined : (await serviceRow(db, service)).id;

  return {
    async ensureService(name, configPath) {
      checkName('service', name);
      const ensure = () =>
        ctx.store.write(async (tx) => {
          const existing = await findServiceRow(tx, name);
          if (existing === undefined) {
            const row = {
              id: newId('svc', ctx.clock.now()),
              name,
              config_path: configPath ?? null,
              created_at: now(ctx),
            };
            await tx.insertInto('services').values(row).execute();
            return toService(row);
          }
          if (configPath === undefined || configPath === existing.config_path) return toService(existing);
          await tx
            .updateTable('services')
            .set({ config_path: configPath })
            .where('id', '=', existing.id)
            .execute();
          return toService({ ...existing, config_path: configPath });
        });
      try {
        return await ensure();
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        return ensure(); // another process registered it first: now it exists
      }
    },

    async listServices() {
      return (await db.selectFrom('services').selectAll().orderBy('name').execute()).map(toService);
    },

    async getService(name) {
      return toService(await serviceRow(db, name));
    },

    async findService(name) {
      const row = await findServiceRow(db, name);
      return row === undefined ? undefined : toService(row);
    },

    async ensureEnvironment(service, name, kind, options = {}) {
      checkName('environment', name);
      checkEnvironmentInput(kind, options);
      await ctx.store.write(async (tx) => {
        const svc = await serviceRow(tx, service);
        const existing = await tx
          .selectFrom('environments')
          .select('id')
          .where('service_id', '=', svc.id)
          .where('name', '=', name)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
        if (existing !== undefined) return;
        await tx
          .insertInto('environments')
          .values({
            id: newId('env', ctx.clock.now()),
            service_id: svc.id,
            name,
            kind,
            branch: options.branch ?? null,
            pull_request: options.pullRequest ?? null,
            expires_at: options.expiresAt === undefined ? null : new Date(options.expiresAt).toISOString(),
            created_at: now(ctx),
            deleted_at: null,
          })
          .execute();
      });
      const env = await findEnvironment(service, name);
      if (env === undefined) throw new Error(`environment ${service}/${name} vanished after it was ensured`);
      return env;
    },

    async listEnvironments(service) {
      let query = liveEnvironments();
      const serviceId = await serviceFilter(service);
      if (serviceId !== undefined) query = query.where('environments.service_id', '=', serviceId);
      const rows = await query
        .orderBy('services.name')
        .orderBy('environments.created_at')
        .orderBy('environments.id')
        .execute();
      return rows.map(toEnvironment);
    },

    findEnvironment,

    async setEnvironmentExpiry(id, expiresAt, tx) {
      if (expiresAt !== null) checkEnvironmentInput('ephemeral', { expiresAt });
      await inTx(ctx, tx, async (t) => {
        await t
          .updateTable('environments')
          .set({ expires_at: expiresAt === null ? null : new Date(expiresAt).toISOString() })
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .execute();
      });
    },

    async deleteEnvironment(id, tx) {
      await inTx(ctx, tx, async (t) => {
        await t
          .updateTable('environments')
          .set({ deleted_at: now(ctx) })
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .execute();
      });
    },

    async listArtifacts(filter = {}) {
      const limit = limitOf(filter.limit);
      const serviceId = await serviceFilter(filter.service);
      let query = db
        .selectFrom('artifacts')
        .innerJoin('services', 'services.id', 'artifacts.service_id')
        .selectAll('artifacts')
        .select('services.name as service_name')
        // An imported deployment's artifact was never stored here: nothing to list or deploy.
        .where('artifacts.imported', '=', 0);
      if (serviceId !== undefined) query = query.where('artifacts.service_id', '=', serviceId);
      const rows = await query
        .orderBy('artifacts.created_at', 'desc')
        .orderBy('artifacts.id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toArtifact);
    },

    async listRuns(filter = {}) {
      const limit = limitOf(filter.limit);
      const serviceId = await serviceFilter(filter.service);
      let query = db
        .selectFrom('runs')
        .innerJoin('services', 'services.id', 'runs.service_id')
        .selectAll('runs')
        .select('services.name as service_name');
      if (serviceId !== undefined) query = query.where('runs.service_id', '=', serviceId);
      if (filter.branch !== undefined) query = query.where('runs.branch', '=', filter.branch);
      if (filter.status !== undefined) query = query.where('runs.status', '=', filter.status);
      if (filter.before !== undefined) {
        const { before } = filter;
        const cursor = await db
          .selectFrom('runs')
          .select('started_at')
          .where('id', '=', before)
          .executeTakeFirst();
        if (cursor === undefined)
          throw new FlowlineError('FLOWLINE_NOT_FOUND', `no run \`${before}\` to list runs before`, {
            location: { path: 'before' },
            hint: 'pass the id of the last run of the previous page',
          });
        query = query.where((r) =>
          r.or([
            r('runs.started_at', '<', cursor.started_at),
            r.and([r('runs.started_at', '=', cursor.started_at), r('runs.id', '<', before)]),
          ]),
        );
      }
      const rows = await query
        .orderBy('runs.started_at', 'desc')
        .orderBy('runs.id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toRun);
    },

    async findRun(id) {
      const row = await db
        .selectFrom('runs')
        .innerJoin('services', 'services.id', 'runs.service_id')
        .selectAll('runs')
        .select('services.name as service_name')
        .where('runs.id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toRun(row);
    },

    async listDeployments(filter = {}) {
      const limit = limitOf(filter.limit);
      const serviceId = await serviceFilter(filter.service);
      let query = db
        .selectFrom('deployments')
        .innerJoin('services', 'services.id', 'deployments.service_id')
        .innerJoin('environments', 'environments.id', 'deployments.environment_id')
        .selectAll('deployments')
        .select(['services.name as service_name', 'environments.name as environment_name']);
      if (serviceId !== undefined) query = query.where('deployments.service_id', '=', serviceId);
      if (filter.environment !== undefined) query = query.where('environments.name', '=', filter.environment);
      const rows = await query
        .orderBy('deployments.started_at', 'desc')
        .orderBy('deployments.id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toDeployment);
    },

    recordArtifact: (input, tx) => recordArtifact(ctx, input, tx),
    startRun: (input, tx) => startRun(ctx, input, tx),
    finishRun: (id, status, artifactId, tx) => finishRun(ctx, id, status, artifactId, tx),
    startDeployment: (input, tx) => startDeployment(ctx, input, tx),
    async knownCommits(service) {
      const svc = await findServiceRow(db, service);
      return svc === undefined ? [] : knownCommits(db, svc.id);
    },
    recordHistory: (runId, history, tx) =>
      inTx(ctx, tx, async (t) => {
        const run = await t
          .selectFrom('runs')
          .select('service_id')
          .where('id', '=', runId)
          .executeTakeFirst();
        if (run === undefined)
          throw notFound(`No run has the id ${runId}.`, 'See the runs with `flowline runs`.');
        await recordCommitHistory(t, { serviceId: run.service_id, runId, history, now: now(ctx) });
      }),
    setDeploymentStatus: (id, status, reason, tx) => setDeploymentStatus(ctx, id, status, reason, tx),
  };
}

function checkEnvironmentInput(kind: EnvironmentKind, options: EnvironmentOptions): void {
  const invalid = (path: string, message: string) =>
    new FlowlineError('FLOWLINE_REQUEST_INVALID', message, { location: { path } });
  if (kind !== 'persistent' && kind !== 'ephemeral') {
    throw invalid('kind', `The environment kind ${JSON.stringify(kind)} is not persistent or ephemeral.`);
  }
  if (
    options.pullRequest !== undefined &&
    !(Number.isInteger(options.pullRequest) && options.pullRequest > 0)
  ) {
    throw invalid(
      'pullRequest',
      `The pull request number ${options.pullRequest} is not a positive whole number.`,
    );
  }
  if (options.expiresAt !== undefined && Number.isNaN(Date.parse(options.expiresAt))) {
    throw invalid('expiresAt', `The expiry ${JSON.stringify(options.expiresAt)} is not a time.`);
  }
}
