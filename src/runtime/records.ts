import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Clock } from '../core/clock.js';
import type { InstanceRow, RuntimeRevisionRow, Store } from '../store/index.js';
import type { RevisionSpec } from './types.js';

/** The spec as stored: secret values replaced by their names. */
export type StoredSpec = Omit<RevisionSpec, 'secrets'> & { readonly secretNames: readonly string[] };

export type InstancePatch = Partial<
  Pick<
    InstanceRow,
    | 'pid'
    | 'pgid'
    | 'proc_start'
    | 'port'
    | 'state'
    | 'restarts'
    | 'last_error'
    | 'last_exit'
    | 'started_at'
    | 'stopped_at'
  >
>;

/** A recorded revision with its instances that are not yet stopped. */
export interface LiveRevision {
  readonly row: RuntimeRevisionRow;
  readonly spec: StoredSpec;
  readonly instances: readonly InstanceRow[];
}

/** Stopped revisions older than this are deleted when a new one starts, so the tables stay small. */
const KEEP_STOPPED_MS = 7 * 24 * 3600_000;

/**
 * The runtime's rows in the store (tables `runtime_revisions` and `instances`, migration 0003).
 * Every write is its own short transaction: none waits on a process while holding the lock.
 */
export class RuntimeRecords {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /**
   * Records a revision about to start, with one `starting` row per instance, before any process
   * exists. Replaces a stopped revision of the same key and forgets old stopped ones.
   */
  async createRevision(
    key: string,
    spec: RevisionSpec,
    supervisor: string,
  ): Promise<{ id: string; nonce: string; logFile: string }[]> {
    const now = this.now();
    const cutoff = new Date(this.clock.now().getTime() - KEEP_STOPPED_MS).toISOString();
    const instances = Array.from({ length: spec.instances }, (_, i) => {
      const id = `${key}-${i + 1}`;
      return { id, nonce: randomBytes(12).toString('hex'), logFile: path.join(spec.logDir, `${id}.log`) };
    });
    await this.store.write(async (tx) => {
      const stale = tx
        .selectFrom('runtime_revisions')
        .select('key')
        .where((eb) =>
          eb.or([eb('key', '=', key), eb.and([eb('state', '=', 'stopped'), eb('stopped_at', '<', cutoff)])]),
        );
      await tx.deleteFrom('instances').where('revision_key', 'in', stale).execute();
      await tx
        .deleteFrom('runtime_revisions')
        .where((eb) =>
          eb.or([eb('key', '=', key), eb.and([eb('state', '=', 'stopped'), eb('stopped_at', '<', cutoff)])]),
        )
        .execute();
      await tx
        .insertInto('runtime_revisions')
        .values({
          key,
          service: spec.service,
          environment: spec.environment,
          revision: spec.revision,
          state: 'starting',
          spec_json: JSON.stringify(storedSpec(spec)),
          supervisor,
          created_at: now,
          stopped_at: null,
        })
        .execute();
      await tx
        .insertInto('instances')
        .values(
          instances.map((instance, i) => ({
            id: instance.id,
            revision_key: key,
            service: spec.service,
            environment: spec.environment,
            revision: spec.revision,
            ordinal: i + 1,
            nonce: instance.nonce,
            workdir: spec.workdir,
            command_hash: commandHash(spec.command),
            state: 'starting' as const,
            restarts: 0,
            log_file: instance.logFile,
            updated_at: now,
          })),
        )
        .execute();
    });
    return instances;
  }

  async updateInstance(id: string, patch: InstancePatch): Promise<void> {
    await this.store.write((tx) =>
      tx
        .updateTable('instances')
        .set({ ...patch, updated_at: this.now() })
        .where('id', '=', id)
        .execute(),
    );
  }

  async updateRevision(
    key: string,
    patch: Partial<Pick<RuntimeRevisionRow, 'state' | 'supervisor'>>,
  ): Promise<void> {
    const stopped = patch.state === 'stopped' ? { stopped_at: this.now() } : {};
    await this.store.write((tx) =>
      tx
        .updateTable('runtime_revisions')
        .set({ ...patch, ...stopped })
        .where('key', '=', key)
        .execute(),
    );
  }

  /** Revisions not yet stopped, each with its instances not yet stopped. */
  async liveRevisions(key?: string): Promise<LiveRevision[]> {
    let query = this.store.db.selectFrom('runtime_revisions').selectAll().where('state', '!=', 'stopped');
    if (key !== undefined) query = query.where('key', '=', key);
    const revisions = await query.orderBy('created_at').execute();
    const result: LiveRevision[] = [];
    for (const row of revisions) {
      const instances = await this.store.db
        .selectFrom('instances')
        .selectAll()
        .where('revision_key', '=', row.key)
        .where('state', '!=', 'stopped')
        .orderBy('ordinal')
        .execute();
      result.push({ row, spec: JSON.parse(row.spec_json) as StoredSpec, instances });
    }
    return result;
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}

/** sha256 hex of a command: the store tells which command an instance runs without holding it twice. */
export function commandHash(command: string): string {
  return createHash('sha256').update(command).digest('hex');
}

function storedSpec(spec: RevisionSpec): StoredSpec {
  const { secrets, ...rest } = spec;
  return { ...rest, secretNames: Object.keys(secrets ?? {}) };
}
