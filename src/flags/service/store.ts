import type { Actor } from '../../audit/types.js';
import { newId } from '../../core/ids.js';
import type { FlagTriggersTable, Store, WriteTx } from '../../store/index.js';
import type { FlagSetDefinition } from '../engine/types.js';
import { emptyDefinition, etagOf } from './changes.js';
import type { FlagActivity, FlagDocument, FlagHistoryEntry, TriggerInfo } from './types.js';

/** A stored flag set: the document plus the JSON it was read from. */
export interface StoredSet {
  readonly document: FlagDocument;
  readonly json: string;
  readonly updatedAt: string | null;
}

/** What a new version writes besides the definition. */
export interface VersionRecord {
  readonly at: Date;
  readonly actor: Actor;
  readonly action: string;
  readonly flags: readonly string[];
  readonly summary: string;
}

type Reader = Store['db'] | WriteTx;

const HOUR_MS = 3_600_000;
/** Hourly counts are kept 8 days: the longest chart reads 7 (`GET …/evaluations?range=7d`). */
const KEEP_HOURS = 8 * 24;

/** The start of the UTC hour holding `at`, as stored in `flag_evaluation_hours.hour`. */
export function hourOf(at: Date): string {
  return new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS).toISOString();
}

/**
 * The flag tables: sets, history, evaluation counts and triggers. Reads take `store.db` or a
 * transaction; writes take the transaction of the change they belong to.
 */
export const flagTables = {
  async readSet(db: Reader, service: string, environment: string): Promise<StoredSet> {
    const row = await db
      .selectFrom('flag_sets')
      .selectAll()
      .where('service', '=', service)
      .where('environment', '=', environment)
      .executeTakeFirst();
    if (row === undefined) {
      const definition = emptyDefinition(service, environment);
      const json = JSON.stringify(definition);
      return {
        document: { service, environment, version: 0, etag: etagOf(0, json), definition },
        json,
        updatedAt: null,
      };
    }
    return {
      document: {
        service,
        environment,
        version: row.version,
        etag: row.etag,
        definition: JSON.parse(row.definition_json) as FlagSetDefinition,
      },
      json: row.definition_json,
      updatedAt: row.updated_at,
    };
  },

  /** Writes version `previous + 1` and its history row; returns the new document. */
  async writeVersion(
    tx: WriteTx,
    previous: FlagDocument,
    definition: FlagSetDefinition,
    record: VersionRecord,
  ): Promise<{ document: FlagDocument; json: string; historyId: string }> {
    const { service, environment } = previous;
    const historyId = newId('fh', record.at);
    const version = previous.version + 1;
    const json = JSON.stringify(definition);
    const etag = etagOf(version, json);
    const at = record.at.toISOString();
    const values = { version, etag, definition_json: json, updated_at: at, updated_by: record.actor.name };
    if (previous.version === 0) {
      await tx
        .insertInto('flag_sets')
        .values({ service, environment, ...values })
        .execute();
    } else {
      await tx
        .updateTable('flag_sets')
        .set(values)
        .where('service', '=', service)
        .where('environment', '=', environment)
        .execute();
    }
    await tx
      .insertInto('flag_history')
      .values({
        id: historyId,
        service,
        environment,
        version,
        at,
        actor_kind: record.actor.kind,
        actor_name: record.actor.name,
        action: record.action,
        flags_json: JSON.stringify(record.flags),
        summary: record.summary,
        definition_json: json,
      })
      .execute();
    return { document: { service, environment, version, etag, definition }, json, historyId };
  },

  async versions(db: Reader): Promise<{ service: string; environment: string; version: number }[]> {
    return db.selectFrom('flag_sets').select(['service', 'environment', 'version']).execute();
  },

  /** The stored version of one set (0 before its first write): one indexed row, no definition. */
  async versionOf(db: Reader, service: string, environment: string): Promise<number> {
    const row = await db
      .selectFrom('flag_sets')
      .select('version')
      .where('service', '=', service)
      .where('environment', '=', environment)
      .executeTakeFirst();
    return row?.version ?? 0;
  },

  async environmentsOf(db: Reader, service: string): Promise<string[]> {
    const rows = await db
      .selectFrom('flag_sets')
      .select('environment')
      .where('service', '=', service)
      .orderBy('environment')
      .execute();
    return rows.map((r) => r.environment);
  },

  async history(
    db: Reader,
    service: string,
    environment: string,
    limit: number,
  ): Promise<FlagHistoryEntry[]> {
    const rows = await db
      .selectFrom('flag_history')
      .select(['version', 'at', 'actor_kind', 'actor_name', 'action', 'flags_json', 'summary'])
      .where('service', '=', service)
      .where('environment', '=', environment)
      .orderBy('version', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      version: r.version,
      at: r.at,
      actor: { kind: r.actor_kind as Actor['kind'], name: r.actor_name },
      action: r.action,
      flags: JSON.parse(r.flags_json) as string[],
      summary: r.summary,
    }));
  },

  /** Per flag: when a version last touched it, its evaluation counts and last evaluation. */
  async activity(db: Reader, service: string, environment: string): Promise<Map<string, FlagActivity>> {
    const out = new Map<
      string,
      { changedAt: string | null; evaluatedAt: string | null; evaluations: Record<string, number> }
    >();
    const entry = (flag: string) => {
      let found = out.get(flag);
      if (found === undefined) {
        found = { changedAt: null, evaluatedAt: null, evaluations: {} };
        out.set(flag, found);
      }
      return found;
    };
    const history = await db
      .selectFrom('flag_history')
      .select(['at', 'flags_json'])
      .where('service', '=', service)
      .where('environment', '=', environment)
      .orderBy('version')
      .execute();
    for (const row of history)
      for (const flag of JSON.parse(row.flags_json) as string[]) entry(flag).changedAt = row.at;
    const counts = await db
      .selectFrom('flag_evaluations')
      .selectAll()
      .where('service', '=', service)
      .where('environment', '=', environment)
      .execute();
    for (const row of counts) {
      const found = entry(row.flag);
      found.evaluations[row.variant] = row.count;
      if (found.evaluatedAt === null || row.last_at > found.evaluatedAt) found.evaluatedAt = row.last_at;
    }
    return out;
  },

  /** Adds counted evaluations: `counts` maps `service`, `environment`, `flag`, `variant` to a count. */
  async addEvaluations(
    tx: WriteTx,
    rows: readonly { service: string; environment: string; flag: string; variant: string; count: number }[],
    at: Date,
  ): Promise<void> {
    const lastAt = at.toISOString();
    for (const row of rows) {
      await tx
        .insertInto('flag_evaluations')
        .values({ ...row, last_at: lastAt })
        .onConflict((oc) =>
          oc.columns(['service', 'environment', 'flag', 'variant']).doUpdateSet((eb) => ({
            count: eb('flag_evaluations.count', '+', eb.ref('excluded.count')),
            last_at: eb.ref('excluded.last_at'),
          })),
        )
        .execute();
      await tx
        .insertInto('flag_evaluation_hours')
        .values({ ...row, hour: hourOf(at) })
        .onConflict((oc) =>
          oc.columns(['service', 'environment', 'hour', 'flag', 'variant']).doUpdateSet((eb) => ({
            count: eb('flag_evaluation_hours.count', '+', eb.ref('excluded.count')),
          })),
        )
        .execute();
    }
    // Hours past the longest read window are dropped here, so the table stays bounded by time.
    if (rows.length > 0)
      await tx
        .deleteFrom('flag_evaluation_hours')
        .where('hour', '<', hourOf(new Date(at.getTime() - KEEP_HOURS * HOUR_MS)))
        .execute();
  },

  /** Evaluations per flag, variant and hour from `from` (an hour's start) on, oldest first. */
  async evaluationHours(
    db: Reader,
    service: string,
    environment: string,
    from: Date,
    flag?: string,
  ): Promise<{ flag: string; variant: string; hour: string; count: number }[]> {
    let query = db
      .selectFrom('flag_evaluation_hours')
      .select(['flag', 'variant', 'hour', 'count'])
      .where('service', '=', service)
      .where('environment', '=', environment)
      .where('hour', '>=', hourOf(from));
    if (flag !== undefined) query = query.where('flag', '=', flag);
    return query.orderBy('hour').execute();
  },

  async triggers(db: Reader, service: string, environment: string): Promise<FlagTriggersTable[]> {
    return db
      .selectFrom('flag_triggers')
      .selectAll()
      .where('service', '=', service)
      .where('environment', '=', environment)
      .orderBy('name')
      .execute();
  },

  async trigger(db: Reader, service: string, environment: string, name: string) {
    return db
      .selectFrom('flag_triggers')
      .selectAll()
      .where('service', '=', service)
      .where('environment', '=', environment)
      .where('name', '=', name)
      .executeTakeFirst();
  },
};

/** A trigger row as listed: the secret never leaves the store this way. */
export function triggerInfo(row: FlagTriggersTable): TriggerInfo {
  return {
    name: row.name,
    service: row.service,
    environment: row.environment,
    kind: row.kind,
    flag: row.flag,
    match: JSON.parse(row.match_json) as Record<string, string>,
    ...(row.variant === null ? {} : { variant: row.variant }),
    restore: row.restore === 1,
    state: row.state,
    firedAt: row.fired_at,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}
