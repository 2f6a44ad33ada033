import { sql } from 'kysely';
import type { AnalysisTemplate, Strategy } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { RevisionRow, Store, WriteTx } from '../store/index.js';
import { jsonMerge } from '../store/index.js';
import type { RevisionSpec, RouteTarget } from './ports.js';

export type RevisionState = RevisionRow['state'];

/** A revision as the controller sees it. */
export interface Revision {
  readonly revision: string;
  readonly serviceId: string;
  readonly environmentId: string;
  readonly deploymentId: string;
  readonly artifactId: string;
  readonly state: RevisionState;
  readonly stopAt: string | null;
  readonly spec: RevisionSpec;
  /** When its state last changed: for a live revision, when it went live. */
  readonly updatedAt: string;
}

/** The route of a host without instances: instances are resolved from the runtime when applied. */
export interface StoredTarget extends Omit<RouteTarget, 'backends'> {
  readonly backends: readonly { readonly revision: string; readonly weight: number }[];
}

/**
 * What a deployment was asked to do, beyond its revision's spec: enough to carry a canary on
 * from its step after a restart, when the flowline.yaml it came from is long gone.
 */
export interface ReleasePlan {
  readonly strategy: Strategy;
  readonly analysisTemplates: Readonly<Record<string, AnalysisTemplate>>;
}

/**
 * The deploy controller's persistence: revisions, desired routes and deployment phases. Every
 * method writes in its own transaction unless given one, and is called BEFORE the controller
 * acts, so that a restart finds the intent and can finish or undo it.
 */
export class DeployRecords {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  private now(): string {
    return this.clock.now().toISOString();
  }

  async insertRevision(
    tx: WriteTx,
    input: {
      revision: string;
      serviceId: string;
      environmentId: string;
      deploymentId: string;
      artifactId: string;
      spec: RevisionSpec;
    },
  ): Promise<void> {
    const now = this.now();
    await tx
      .insertInto('revisions')
      .values({
        revision: input.revision,
        service_id: input.serviceId,
        environment_id: input.environmentId,
        deployment_id: input.deploymentId,
        artifact_id: input.artifactId,
        state: 'starting',
        stop_at: null,
        spec_json: JSON.stringify(input.spec),
        created_at: now,
        updated_at: now,
      })
      .execute();
  }

  async setRevisionState(
    revision: string,
    state: RevisionState,
    stopAt: string | null = null,
    tx?: WriteTx,
  ): Promise<void> {
    const run = async (t: WriteTx) => {
      await t
        .updateTable('revisions')
        .set({ state, stop_at: stopAt, updated_at: this.now() })
        .where('revision', '=', revision)
        .execute();
    };
    await (tx === undefined ? this.store.write(run) : run(tx));
  }

  async revisions(filter: {
    environmentId?: string;
    states?: readonly RevisionState[];
  }): Promise<Revision[]> {
    let query = this.store.db.selectFrom('revisions').selectAll().orderBy('created_at', 'desc');
    if (filter.environmentId !== undefined) query = query.where('environment_id', '=', filter.environmentId);
    if (filter.states !== undefined && filter.states.length > 0)
      query = query.where('state', 'in', [...filter.states]);
    return (await query.execute()).map(toRevision);
  }

  async revision(revision: string): Promise<Revision | undefined> {
    const row = await this.store.db
      .selectFrom('revisions')
      .selectAll()
      .where('revision', '=', revision)
      .executeTakeFirst();
    return row === undefined ? undefined : toRevision(row);
  }

  async saveRoute(
    host: string,
    ids: { serviceId: string; environmentId: string },
    target: StoredTarget,
    tx?: WriteTx,
  ): Promise<void> {
    const row = {
      host,
      service_id: ids.serviceId,
      environment_id: ids.environmentId,
      target_json: JSON.stringify(target),
      updated_at: this.now(),
    };
    const run = async (t: WriteTx) => {
      await t
        .insertInto('routes')
        .values(row)
        .onConflict((oc) =>
          oc.column('host').doUpdateSet({ target_json: row.target_json, updated_at: row.updated_at }),
        )
        .execute();
    };
    await (tx === undefined ? this.store.write(run) : run(tx));
  }

  async deleteRoute(host: string, tx?: WriteTx): Promise<void> {
    const run = async (t: WriteTx) => {
      await t.deleteFrom('routes').where('host', '=', host).execute();
    };
    await (tx === undefined ? this.store.write(run) : run(tx));
  }

  async routes(): Promise<
    { host: string; serviceId: string; environmentId: string; target: StoredTarget }[]
  > {
    const rows = await this.store.db.selectFrom('routes').selectAll().execute();
    return rows.map((r) => ({
      host: r.host,
      serviceId: r.service_id,
      environmentId: r.environment_id,
      target: JSON.parse(r.target_json) as StoredTarget,
    }));
  }

  async route(host: string): Promise<StoredTarget | undefined> {
    const row = await this.store.db
      .selectFrom('routes')
      .select('target_json')
      .where('host', '=', host)
      .executeTakeFirst();
    return row === undefined ? undefined : (JSON.parse(row.target_json) as StoredTarget);
  }

  /**
   * Marks a just-created deployment as starting `revision` in place of `previousRevision`, with
   * the state a restart needs to finish or undo it (see recovery.ts).
   */
  async markStarting(
    tx: WriteTx,
    deploymentId: string,
    start: {
      revision: string;
      previousRevision: string | null;
      host: string;
      keepWarmMs: number;
      /** Kept so a release carried on after a restart keeps its deadline. */
      progressDeadlineMs?: number;
      plan?: ReleasePlan;
    },
  ): Promise<void> {
    await tx
      .updateTable('deployments')
      .set({
        status: 'running',
        phase: 'starting',
        revision: start.revision,
        previous_revision: start.previousRevision,
        state_json: JSON.stringify({
          host: start.host,
          keepWarmMs: start.keepWarmMs,
          progressDeadlineMs: start.progressDeadlineMs,
        }),
        plan_json: start.plan === undefined ? null : JSON.stringify(start.plan),
      })
      .where('id', '=', deploymentId)
      .execute();
  }

  /**
   * Records that a person paused (or resumed) the release, so a release carried on after a
   * restart stays paused until someone resumes it.
   */
  async setPaused(deploymentId: string, paused: boolean): Promise<void> {
    await this.store.write((tx) =>
      tx
        .updateTable('deployments')
        .set({
          state_json: jsonMerge('state_json', { paused: paused ? true : null }),
        })
        .where('id', '=', deploymentId)
        .execute(),
    );
  }

  /** Moves a deployment to a phase (and optionally a status) before the controller acts on it. */
  async setPhase(
    deploymentId: string,
    phase: string,
    changes: {
      status?: 'running' | 'succeeded' | 'failed' | 'rolled_back' | 'cancelled';
      reason?: string;
      state?: unknown;
    } = {},
    tx?: WriteTx,
  ): Promise<void> {
    const terminal = changes.status !== undefined && changes.status !== 'running';
    const run = async (t: WriteTx) => {
      await t
        .updateTable('deployments')
        .set({
          phase,
          ...(changes.status === undefined ? {} : { status: changes.status }),
          ...(changes.reason === undefined ? {} : { reason: changes.reason }),
          // Merged (RFC 7396), so what the start recorded (host, keepWarmMs, progressDeadlineMs)
          // and a person's pause outlive the step's own state.
          ...(changes.state === undefined
            ? {}
            : {
                state_json: jsonMerge('state_json', changes.state as Record<string, unknown>),
              }),
          ...(terminal ? { finished_at: this.now() } : {}),
          // A success recovered after a restart may not have recorded its switch: it served by now.
          ...(changes.status === 'succeeded'
            ? { served_at: sql<string>`coalesce(served_at, ${this.now()})` }
            : {}),
        })
        .where('id', '=', deploymentId)
        .execute();
    };
    await (tx === undefined ? this.store.write(run) : run(tx));
  }

  /**
   * Saves a route that sends users to a deployment's new revision and, the first time, when that
   * happened (`served_at`): one transaction, so a revision never serves unrecorded.
   */
  async saveServingRoute(
    host: string,
    ids: { serviceId: string; environmentId: string },
    target: StoredTarget,
    deploymentId: string,
  ): Promise<void> {
    await this.store.write(async (tx) => {
      await this.saveRoute(host, ids, target, tx);
      await tx
        .updateTable('deployments')
        .set({ served_at: this.now() })
        .where('id', '=', deploymentId)
        .where('served_at', 'is', null)
        .execute();
    });
  }

  /**
   * Fails a deployment with its reason (and whether its analysis failed, which stays once said).
   * `also` runs in the same transaction, told whether its revision ever served users: an incident
   * written there exists exactly when the failure does.
   */
  async fail(
    deploymentId: string,
    reason: string,
    failedAnalysis: boolean,
    also?: (tx: WriteTx, served: boolean) => Promise<void>,
  ): Promise<void> {
    await this.store.write(async (tx) => {
      await tx
        .updateTable('deployments')
        .set({
          phase: 'failed',
          status: 'failed',
          reason,
          finished_at: this.now(),
          ...(failedAnalysis ? { failed_analysis: 1 } : {}),
        })
        .where('id', '=', deploymentId)
        .execute();
      const row = await tx
        .selectFrom('deployments')
        .select('served_at')
        .where('id', '=', deploymentId)
        .executeTakeFirst();
      await also?.(tx, row !== undefined && row.served_at !== null);
    });
  }

  /** Appends a line to a release's journal (its steps, measurements and decisions). */
  async journal(
    deploymentId: string,
    kind: 'progress' | 'measurement' | 'decision',
    message: string,
    data?: unknown,
  ): Promise<void> {
    const at = this.clock.now();
    await this.store.write(async (tx) => {
      await tx
        .insertInto('release_events')
        .values({
          id: newId('rev', at),
          deployment_id: deploymentId,
          at: at.toISOString(),
          kind,
          message,
          data_json: data === undefined ? null : JSON.stringify(data),
        })
        .execute();
    });
  }

  /** The newest `limit` journal lines of a deployment, oldest first. */
  async journalOf(deploymentId: string, limit = 50): Promise<JournalLine[]> {
    const rows = await this.store.db
      .selectFrom('release_events')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse().map((r) => ({
      at: r.at,
      kind: r.kind,
      message: r.message,
      ...(r.data_json === null ? {} : { data: JSON.parse(r.data_json) as unknown }),
    }));
  }

  /**
   * What a deployment recorded of its release, finished or not: its strategy state (step,
   * weight, paused), the plan it started with, and every measurement of its analysis.
   */
  async releaseOf(deploymentId: string): Promise<{
    revision: string | null;
    previousRevision: string | null;
    state: Record<string, unknown>;
    plan: ReleasePlan | undefined;
    measurements: { at: string; data: unknown }[];
  }> {
    const row = await this.store.db
      .selectFrom('deployments')
      .select(['revision', 'previous_revision', 'state_json', 'plan_json'])
      .where('id', '=', deploymentId)
      .executeTakeFirst();
    const measured = await this.store.db
      .selectFrom('release_events')
      .select(['at', 'data_json'])
      .where('deployment_id', '=', deploymentId)
      .where('kind', '=', 'measurement')
      .orderBy('at')
      .orderBy('id')
      .execute();
    return {
      revision: row?.revision ?? null,
      previousRevision: row?.previous_revision ?? null,
      state: row?.state_json == null ? {} : (JSON.parse(row.state_json) as Record<string, unknown>),
      plan: row?.plan_json == null ? undefined : (JSON.parse(row.plan_json) as ReleasePlan),
      measurements: measured.map((m) => ({
        at: m.at,
        data: m.data_json === null ? null : (JSON.parse(m.data_json) as unknown),
      })),
    };
  }

  /** Deployments that were under way: after a restart the controller must finish or undo each. */
  async unfinished(): Promise<UnfinishedDeployment[]> {
    const rows = await this.store.db
      .selectFrom('deployments as d')
      .innerJoin('services as s', 's.id', 'd.service_id')
      .innerJoin('environments as e', 'e.id', 'd.environment_id')
      .select([
        'd.id',
        'd.phase',
        'd.revision',
        'd.previous_revision',
        'd.state_json',
        'd.plan_json',
        'd.started_at',
        'd.service_id',
        'd.environment_id',
        's.name as service',
        'e.name as environment',
      ])
      .where('d.status', 'in', ['pending', 'running'])
      .execute();
    return rows.map((r) => ({
      id: r.id,
      phase: r.phase,
      revision: r.revision,
      previousRevision: r.previous_revision,
      state: r.state_json === null ? {} : (JSON.parse(r.state_json) as Record<string, unknown>),
      plan: r.plan_json === null ? undefined : (JSON.parse(r.plan_json) as ReleasePlan),
      startedAt: r.started_at,
      serviceId: r.service_id,
      environmentId: r.environment_id,
      service: r.service,
      environment: r.environment,
    }));
  }
}

export interface JournalLine {
  readonly at: string;
  readonly kind: string;
  readonly message: string;
  readonly data?: unknown;
}

export interface UnfinishedDeployment {
  readonly id: string;
  readonly phase: string | null;
  readonly revision: string | null;
  readonly previousRevision: string | null;
  readonly state: Readonly<Record<string, unknown>>;
  /** Absent for deployments started before plans were recorded, and for rollbacks. */
  readonly plan: ReleasePlan | undefined;
  readonly startedAt: string;
  readonly serviceId: string;
  readonly environmentId: string;
  readonly service: string;
  readonly environment: string;
}

function toRevision(row: RevisionRow): Revision {
  return {
    revision: row.revision,
    serviceId: row.service_id,
    environmentId: row.environment_id,
    deploymentId: row.deployment_id,
    artifactId: row.artifact_id,
    state: row.state,
    stopAt: row.stop_at,
    spec: JSON.parse(row.spec_json) as RevisionSpec,
    updatedAt: row.updated_at,
  };
}
