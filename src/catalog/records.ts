import { newId } from '../core/ids.js';
import { shipCommitRange } from '../metrics/commits.js';
import type { DeploymentRow, RunRow, WriteTx } from '../store/index.js';
import { type CatalogContext, inTx, notFound, now, serviceRow } from './context.js';
import { toArtifact, toDeployment, toRun } from './rows.js';
import type {
  Artifact,
  Deployment,
  DeploymentStatus,
  NewArtifact,
  NewDeployment,
  NewRun,
  Run,
  RunStatus,
} from './types.js';

// Minimal writers for what the pipeline and release parts record; those parts grow them.

const TERMINAL: ReadonlySet<DeploymentStatus> = new Set(['succeeded', 'failed', 'rolled_back', 'cancelled']);

export function recordArtifact(ctx: CatalogContext, input: NewArtifact, tx?: WriteTx): Promise<Artifact> {
  return inTx(ctx, tx, async (t) => {
    const svc = await serviceRow(t, input.service);
    // Content-addressed: the same bytes built twice are one artifact, first record wins.
    await t
      .insertInto('artifacts')
      .values({
        id: input.id,
        service_id: svc.id,
        cache_key: input.cacheKey,
        commit_sha: input.commitSha ?? null,
        size_bytes: input.sizeBytes,
        created_at: now(ctx),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const row = await t
      .selectFrom('artifacts')
      .innerJoin('services', 'services.id', 'artifacts.service_id')
      .selectAll('artifacts')
      .select('services.name as service_name')
      .where('artifacts.id', '=', input.id)
      .executeTakeFirstOrThrow();
    return toArtifact(row);
  });
}

export function startRun(ctx: CatalogContext, input: NewRun, tx?: WriteTx): Promise<Run> {
  return inTx(ctx, tx, async (t) => {
    const svc = await serviceRow(t, input.service);
    const row: RunRow = {
      id: newId('run', ctx.clock.now()),
      service_id: svc.id,
      status: input.status ?? 'running',
      branch: input.branch ?? null,
      commit_sha: input.commit?.sha ?? null,
      commit_author_time: input.commit?.authorTime ?? null,
      commit_message: input.commit?.message ?? null,
      artifact_id: null,
      where_json: JSON.stringify(input.where),
      started_at: now(ctx),
      finished_at: null,
    };
    await t.insertInto('runs').values(row).execute();
    return toRun({ ...row, service_name: svc.name });
  });
}

export function finishRun(
  ctx: CatalogContext,
  id: string,
  status: Exclude<RunStatus, 'queued' | 'running'>,
  artifactId: string | undefined,
  tx?: WriteTx,
): Promise<Run> {
  return inTx(ctx, tx, async (t) => {
    const update = {
      status,
      finished_at: now(ctx),
      ...(artifactId === undefined ? {} : { artifact_id: artifactId }),
    };
    const result = await t.updateTable('runs').set(update).where('id', '=', id).executeTakeFirst();
    if (result.numUpdatedRows === 0n)
      throw notFound(`No run has the id ${id}.`, 'See the runs with `flowline runs`.');
    const row = await t
      .selectFrom('runs')
      .innerJoin('services', 'services.id', 'runs.service_id')
      .selectAll('runs')
      .select('services.name as service_name')
      .where('runs.id', '=', id)
      .executeTakeFirstOrThrow();
    return toRun(row);
  });
}

export function startDeployment(
  ctx: CatalogContext,
  input: NewDeployment,
  tx?: WriteTx,
): Promise<Deployment> {
  return inTx(ctx, tx, async (t) => {
    const svc = await serviceRow(t, input.service);
    const env = await t
      .selectFrom('environments')
      .select('id')
      .where('service_id', '=', svc.id)
      .where('name', '=', input.environment)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (env === undefined) {
      throw notFound(
        `Service ${input.service} has no environment named ${input.environment}.`,
        'See its environments with `flowline env list`.',
      );
    }
    // The commit comes from the artifact's record, never from the request.
    const artifact = await t
      .selectFrom('artifacts')
      .select('commit_sha')
      .where('id', '=', input.artifactId)
      .executeTakeFirst();
    const kind = input.kind ?? 'deploy';
    // Precedence: rollback > hotfix > incident (docs/metrics.md). An open incident makes any other
    // deploy unplanned: it is read in this transaction, so an incident opened after it does not.
    const incidentOpen =
      kind === 'deploy' && input.unplannedReason === undefined
        ? (await t
            .selectFrom('incidents')
            .select('id')
            .where('environment_id', '=', env.id)
            .where('status', '!=', 'resolved')
            .executeTakeFirst()) !== undefined
        : false;
    const row: DeploymentRow = {
      id: newId('dep', ctx.clock.now()),
      service_id: svc.id,
      environment_id: env.id,
      artifact_id: input.artifactId,
      strategy: input.strategy,
      status: 'pending',
      actor: input.actor,
      started_at: now(ctx),
      finished_at: null,
      reason: null,
      phase: null,
      revision: null,
      previous_revision: null,
      state_json: null,
      plan_json: null,
      commit_sha: artifact?.commit_sha ?? null,
      kind,
      unplanned_reason:
        kind === 'rollback' ? 'rollback' : (input.unplannedReason ?? (incidentOpen ? 'incident' : null)),
      range_status: null,
      served_at: null,
      failed_analysis: 0,
      imported: 0,
      external_id: null,
      outcome: null,
    };
    await t.insertInto('deployments').values(row).execute();
    const range = await shipCommitRange(t, {
      deploymentId: row.id,
      serviceId: svc.id,
      environmentId: env.id,
      commitSha: row.commit_sha,
    });
    row.range_status = range.status;
    await t.updateTable('deployments').set({ range_status: range.status }).where('id', '=', row.id).execute();
    return toDeployment({ ...row, service_name: svc.name, environment_name: input.environment });
  });
}

export function setDeploymentStatus(
  ctx: CatalogContext,
  id: string,
  status: DeploymentStatus,
  reason: string | undefined,
  tx?: WriteTx,
): Promise<Deployment> {
  return inTx(ctx, tx, async (t) => {
    const result = await t
      .updateTable('deployments')
      .set({
        status,
        finished_at: TERMINAL.has(status) ? now(ctx) : null,
        ...(reason === undefined ? {} : { reason }),
      })
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) {
      throw notFound(`No deployment has the id ${id}.`, 'See the deployments with `flowline deployments`.');
    }
    const row = await t
      .selectFrom('deployments')
      .innerJoin('services', 'services.id', 'deployments.service_id')
      .innerJoin('environments', 'environments.id', 'deployments.environment_id')
      .selectAll('deployments')
      .select(['services.name as service_name', 'environments.name as environment_name'])
      .where('deployments.id', '=', id)
      .executeTakeFirstOrThrow();
    return toDeployment(row);
  });
}
