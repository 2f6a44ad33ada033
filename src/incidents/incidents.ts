import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import { afterCommit, type Database, type IncidentRow, type Store, type WriteTx } from '../store/index.js';
import { alertName } from './alerts.js';
import type {
  AlertOutcome,
  Incident,
  IncidentActor,
  IncidentCause,
  IncidentFilter,
  IncidentSource,
  Incidents,
} from './types.js';

export interface IncidentsDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /**
   * Announces `incident.opened`, `incident.acknowledged` and `incident.resolved` once the
   * transaction commits (the automatic ones run inside their caller's), for live displays.
   */
  readonly events?: Pick<EventBus, 'emit'>;
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

  const announce = (type: string, incident: Incident) => {
    const events = deps.events;
    if (events === undefined) return;
    afterCommit(() =>
      events.emit({
        type,
        at: clock.now().toISOString(),
        service: incident.service,
        environment: incident.environment,
        subject: incident.id,
        message: `${incident.title} (${incident.status})`,
        data: { id: incident.id, status: incident.status, source: incident.source, title: incident.title },
      }),
    );
  };

  const find = async (db: Db, id: string): Promise<Incident> => {
    const row = await select(db).where('incidents.id', '=', id).executeTakeFirst();
    if (row === undefined) {
      throw new FlowlineError('FLOWLINE_NOT_FOUND', `No incident has the id ${id}.`, {
        hint: 'See them with `flowline incident list --all`.',
      });
    }
    return toIncident(row);
  };

  /** Moves an open incident on, inside `tx`; a resolved one refuses every move. */
  const moveIn = async (
    tx: WriteTx,
    id: string,
    action: 'incident.ack' | 'incident.resolve',
    by: IncidentActor,
    change: (current: Incident, at: string) => Partial<IncidentRow> | undefined,
  ): Promise<Incident> => {
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
    announce(action === 'incident.resolve' ? 'incident.resolved' : 'incident.acknowledged', next);
    return next;
  };

  const resolution =
    (resolution: string | undefined, by: IncidentActor) => (current: Incident, at: string) => ({
      status: 'resolved' as const,
      resolved_at: at,
      resolved_by: by.actor.name,
      resolution: resolution ?? null,
      // Resolving without acknowledging: the person who resolved it was on it.
      ...(current.acknowledgedAt === null ? { acknowledged_at: at, acknowledged_by: by.actor.name } : {}),
    });

  /** Writes a new incident and its audit entry inside `tx`. */
  const insert = async (
    tx: WriteTx,
    env: Env,
    fields: { title: string; source: IncidentSource; cause: IncidentCause | null; key: string | null },
    by: IncidentActor,
    details: Readonly<Record<string, unknown>> = {},
  ): Promise<Incident> => {
    const at = clock.now().toISOString();
    const id = newId('inc', clock.now());
    const { cause, source } = fields;
    await tx
      .insertInto('incidents')
      .values({
        id,
        service_id: env.serviceId,
        environment_id: env.environmentId,
        title: fields.title,
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
        dedup_key: fields.key,
      })
      .execute();
    await audit.append(
      {
        actor: by.actor,
        action: 'incident.open',
        target: `incident:${id}`,
        where: by.where,
        details: { service: env.service, environment: env.environment, source, cause, ...details },
      },
      tx,
    );
    const opened = await find(tx, id);
    announce('incident.opened', opened);
    return opened;
  };

  const self: Incidents = {
    open: (input, by) =>
      store.write(async (tx) => {
        const env = await environmentOf(tx, input.service, input.environment);
        const cause =
          input.deployment === undefined
            ? await lastChange(tx, env, clock.now().toISOString())
            : await recordedCause(tx, env.environmentId, input.deployment);
        return insert(tx, env, { title: input.title, source: 'manual', cause, key: null }, by);
      }),

    async openAutomatic(input, by, tx) {
      // Flags and alerts may name an environment Flowline does not deploy: a kill must not fail
      // for want of somewhere to file its incident.
      const env = await findEnvironment(tx, input.service, input.environment);
      if (env === undefined) return undefined;
      let standing = tx.selectFrom('incidents').select('id').where('dedup_key', '=', input.key);
      if (!input.once) standing = standing.where('status', '!=', 'resolved');
      if ((await standing.executeTakeFirst()) !== undefined) return undefined;
      const cause: IncidentCause | null =
        input.cause === undefined
          ? await lastChange(tx, env, clock.now().toISOString())
          : { ...input.cause, inferred: false };
      return insert(tx, env, { title: input.title, source: input.source, cause, key: input.key }, by, {
        automatic: true,
        ...input.details,
      });
    },

    async resolveAutomatic(key, text, by, tx) {
      const row = await unresolvedByKey(tx, key);
      if (row === undefined) return undefined;
      return moveIn(tx, row.id, 'incident.resolve', by, resolution(text, by));
    },

    acknowledge: (id, by) =>
      store.write((tx) =>
        moveIn(tx, id, 'incident.ack', by, (current, at) =>
          current.status === 'acknowledged'
            ? undefined
            : { status: 'acknowledged', acknowledged_at: at, acknowledged_by: by.actor.name },
        ),
      ),

    resolve: (id, text, by) =>
      store.write((tx) => moveIn(tx, id, 'incident.resolve', by, resolution(text, by))),

    alert: ({ service, environment, notification, key, where }) => {
      const name = alertName(notification);
      const by: IncidentActor = { actor: { kind: 'user', name: `alert:${name}` }, where };
      return store.write(async (tx): Promise<AlertOutcome> => {
        if (notification.status === 'resolved') {
          const resolved = await self.resolveAutomatic(key, `alert ${name} resolved`, by, tx);
          return { action: resolved === undefined ? 'none' : 'resolved', incident: resolved ?? null };
        }
        const summary = notification.commonAnnotations?.summary;
        const opened = await self.openAutomatic(
          {
            service,
            environment,
            title: `Alert ${name} firing in ${environment}${summary === undefined ? '' : `: ${summary}`}`,
            source: 'alert',
            key,
            once: false,
            details: { alert: name, alerts: notification.alerts.length },
          },
          by,
          tx,
        );
        if (opened !== undefined) return { action: 'opened', incident: opened };
        // Unknown environment: nowhere to file it.
        const standing = await unresolvedByKey(tx, key);
        if (standing === undefined) return { action: 'none', incident: null };
        return { action: 'open', incident: await find(tx, standing.id) };
      });
    },

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
  return self;
}

function unresolvedByKey(tx: WriteTx, key: string) {
  return tx
    .selectFrom('incidents')
    .select('id')
    .where('dedup_key', '=', key)
    .where('status', '!=', 'resolved')
    .executeTakeFirst();
}

type Env = { service: string; environment: string; serviceId: string; environmentId: string };

/** An environment by its service's and its own name; FLOWLINE_NOT_FOUND when there is none. */
async function environmentOf(tx: WriteTx, service: string, environment: string): Promise<Env> {
  const env = await findEnvironment(tx, service, environment);
  if (env === undefined) {
    throw new FlowlineError(
      'FLOWLINE_NOT_FOUND',
      `Service ${service} has no environment named ${environment}.`,
      {
        hint: 'See its environments with `flowline env list`.',
      },
    );
  }
  return env;
}

async function findEnvironment(tx: WriteTx, service: string, environment: string): Promise<Env | undefined> {
  const row = await tx
    .selectFrom('environments')
    .innerJoin('services', 'services.id', 'environments.service_id')
    .select(['environments.id as environment_id', 'services.id as service_id'])
    .where('services.name', '=', service)
    .where('environments.name', '=', environment)
    .where('environments.deleted_at', 'is', null)
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : { service, environment, serviceId: row.service_id, environmentId: row.environment_id };
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
  { environmentId, service, environment }: Env,
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
