import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Database, IncidentRow, Store, WriteTx } from '../store/index.js';
import type { Incident, IncidentCause, IncidentFilter, IncidentSource, Incidents } from './types.js';

export interface IncidentsDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

type Db = Kysely<Database>;
type Named = IncidentRow & { service_name: string; environment_name: string };

/** Incidents over the store. See {@link Incidents}. */
export function createIncidents(deps: IncidentsDeps): Incidents {
  const { store, audit, clock } = deps;

  const select = (db: Db) =>
    db
      .selectFrom('incidents')
      .innerJoin('services', 'services.id', 'incidents.service_id')
      .innerJoin('environments', 'environments.id', 'incidents.environment_id')
      .selectAll('incidents')
      .select(['services.name as service_name', 'environments.name as environment_name']);

  const find = async (db: Db, id: string): Promise<Incident> => {
    const row = await select(db).where('incidents.id', '=', id).executeTakeFirst();
    if (row === undefined) {
      throw new FlowlineError('FLOWLINE_NOT_FOUND', `No incident has the id ${id}.`, {
        hint: 'See them with `flowline incident list --all`.',
      });
    }
    return toIncident(row);
  };

  /** Moves an open incident on; a resolved one refuses every move. */
  const move = (
    id: string,
    action: 'incident.ack' | 'incident.resolve',
    by: Parameters<Incidents['acknowledge']>[1],
    change: (current: Incident, at: string) => Partial<IncidentRow> | undefined,
  ) =>
    store.write(async (tx) => {
      const current = await find(tx, id);
      if (current.status === 'resolved') {
        throw new FlowlineError(
          'FLOWLINE_INCIDENT_RESOLVED',
          `Incident ${id} was resolved at ${current.resolvedAt} by ${current.resolvedBy}.`,
          { hint: 'A problem that came back is a new incident: `flowline incident open`.' },
        );
      }
      const set = change(current, clock.now().toISOString());
      if (set === undefined) return current;
      await tx.updateTable('incidents').set(set).where('id', '=', id).execute();
      const next = await find(tx, id);
      await audit.append(
        {
          actor: by.actor,
          action,
          target: `incident:${id}`,
          where: by.where,
          details: { service: next.service, environment: next.environment, status: next.status },
        },
        tx,
      );
      return next;
    });

  return {
    open: (input, by) =>
      store.write(async (tx) => {
        const env = await tx
          .selectFrom('environments')
          .innerJoin('services', 'services.id', 'environments.service_id')
          .select(['environments.id as environment_id', 'services.id as service_id'])
          .where('services.name', '=', input.service)
          .where('environments.name', '=', input.environment)
          .where('environments.deleted_at', 'is', null)
          .executeTakeFirst();
        if (env === undefined) {
          throw new FlowlineError(
            'FLOWLINE_NOT_FOUND',
            `Service ${input.service} has no environment named ${input.environment}.`,
            { hint: 'See its environments with `flowline env list`.' },
          );
        }
        const at = clock.now().toISOString();
        const cause =
          input.deployment === undefined
            ? await lastChange(tx, env.environment_id, input.service, input.environment, at)
            : await recordedCause(tx, env.environment_id, input.deployment);
        const id = newId('inc', clock.now());
        const source: IncidentSource = 'manual';
        await tx
          .insertInto('incidents')
          .values({
            id,
            service_id: env.service_id,
            environment_id: env.environment_id,
            title: input.title,
            source,
            status: 'open',
            opened_at: at,
            opened_by: by.actor.name,
            acknowledged_at: null,
            acknowledged_by: null,
            resolved_at: null,
            resolved_by: null,
            resolution: null,
            cause_kind: cause?.kind ?? null,
            cause_id: cause?.id ?? null,
            cause_inferred: cause?.inferred === true ? 1 : 0,
          })
          .execute();
        await audit.append(
          {
            actor: by.actor,
            action: 'incident.open',
            target: `incident:${id}`,
            where: by.where,
            details: { service: input.service, environment: input.environment, source, cause },
          },
          tx,
        );
        return find(tx, id);
      }),

    acknowledge: (id, by) =>
      move(id, 'incident.ack', by, (current, at) =>
        current.status === 'acknowledged'
          ? undefined
          : { status: 'acknowledged', acknowledged_at: at, acknowledged_by: by.actor.name },
      ),

    resolve: (id, resolution, by) =>
      move(id, 'incident.resolve', by, (current, at) => ({
        status: 'resolved',
        resolved_at: at,
        resolved_by: by.actor.name,
        resolution: resolution ?? null,
        // Resolving without acknowledging: the person who resolved it was on it.
        ...(current.acknowledgedAt === null ? { acknowledged_at: at, acknowledged_by: by.actor.name } : {}),
      })),

    get: (id) => find(store.db, id),

    async list(filter: IncidentFilter = {}) {
      let query = select(store.db);
      if (filter.service !== undefined) query = query.where('services.name', '=', filter.service);
      if (filter.environment !== undefined) query = query.where('environments.name', '=', filter.environment);
      const status = filter.status ?? 'unresolved';
      if (status === 'unresolved') query = query.where('incidents.status', '!=', 'resolved');
      else if (status !== 'all') query = query.where('incidents.status', '=', status);
      const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
      const rows = await query
        .orderBy('incidents.opened_at', 'desc')
        .orderBy('incidents.id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toIncident);
    },
  };
}

/** A deployment named as the cause: it must be one of this environment's. */
async function recordedCause(tx: WriteTx, environmentId: string, deployment: string): Promise<IncidentCause> {
  const row = await tx
    .selectFrom('deployments')
    .select('id')
    .where('id', '=', deployment)
    .where('environment_id', '=', environmentId)
    .executeTakeFirst();
  if (row === undefined) {
    throw new FlowlineError(
      'FLOWLINE_NOT_FOUND',
      `No deployment ${deployment} was made to this environment.`,
      {
        hint: 'See them with `flowline deployments --env <environment>`.',
        location: { path: 'deployment' },
      },
    );
  }
  return { kind: 'deployment', id: row.id, inferred: false };
}

/** The last deployment or flag change of the environment before `at`: the inferred cause. */
export async function lastChange(
  tx: WriteTx,
  environmentId: string,
  service: string,
  environment: string,
  at: string,
): Promise<IncidentCause | null> {
  const [deployment, flags] = await Promise.all([
    tx
      .selectFrom('deployments')
      .select(['id', 'started_at as at'])
      .where('environment_id', '=', environmentId)
      .where('started_at', '<=', at)
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst(),
    tx
      .selectFrom('flag_history')
      .select(['id', 'at'])
      .where('service', '=', service)
      .where('environment', '=', environment)
      .where('at', '<=', at)
      .orderBy('at', 'desc')
      .orderBy('version', 'desc')
      .executeTakeFirst(),
  ]);
  if (deployment === undefined && flags === undefined) return null;
  if (flags !== undefined && (deployment === undefined || flags.at > deployment.at)) {
    return { kind: 'flagChange', id: flags.id, inferred: true };
  }
  return { kind: 'deployment', id: (deployment as { id: string }).id, inferred: true };
}

function toIncident(row: Named): Incident {
  return {
    id: row.id,
    service: row.service_name,
    environment: row.environment_name,
    title: row.title,
    source: row.source as IncidentSource,
    status: row.status,
    openedAt: row.opened_at,
    openedBy: row.opened_by,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    resolution: row.resolution,
    cause:
      row.cause_kind === null || row.cause_id === null
        ? null
        : {
            kind: row.cause_kind as IncidentCause['kind'],
            id: row.cause_id,
            inferred: row.cause_inferred === 1,
          },
  };
}
