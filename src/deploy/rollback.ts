import type { Actor, Where } from '../audit/index.js';
import type { Environment as EnvRecord } from '../catalog/index.js';
import { FlowlineError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { counted } from '../core/plural.js';
import type { DeployControllerDeps } from './deps.js';
import { hostOf, revisionName, short } from './plan.js';
import { abandon, promote, retireDue, switchTraffic } from './traffic.js';

type Deps = Pick<
  DeployControllerDeps,
  'store' | 'catalog' | 'audit' | 'clock' | 'records' | 'runtime' | 'router'
>;

export interface RollbackRequest {
  readonly service: string;
  readonly environment: string;
  readonly actor: Actor;
  readonly where: Where;
  readonly onProgress?: (line: string) => void;
}

/** The environment a rollback acts on, looked up before the environment is claimed. */
export interface RollbackTarget {
  readonly record: EnvRecord;
  readonly serviceId: string;
}

/** What a finished rollback did, for the controller to announce and report. */
export interface RollbackDone {
  readonly deploymentId: string;
  readonly host: string;
  /** The artifact the environment serves again. */
  readonly artifact: string;
}

/** Finds the environment to roll back; FLOWLINE_DEPLOY_UNKNOWN_ENVIRONMENT when there is none. */
export async function rollbackTarget(
  deps: Pick<Deps, 'catalog'>,
  service: string,
  environment: string,
): Promise<RollbackTarget> {
  const record = await deps.catalog.findEnvironment(service, environment);
  if (record === undefined) {
    throw new FlowlineError(
      'FLOWLINE_DEPLOY_UNKNOWN_ENVIRONMENT',
      `Service ${service} has no environment \`${environment}\`.`,
      {
        hint: 'See the environments with `flowline env list`.',
      },
    );
  }
  const serviceId = (await deps.catalog.getService(service)).id;
  return { record, serviceId };
}

/**
 * Returns an environment to its previous good artifact: a revision still warm from the last
 * blue-green switch takes traffic back instantly; otherwise the previous artifact is started
 * again from the spec it ran with, then switched to. The caller holds the environment exclusively.
 */
export async function rollBack(
  deps: Deps,
  request: RollbackRequest,
  { record, serviceId }: RollbackTarget,
): Promise<RollbackDone> {
  const { service, environment } = request;
  const progress = request.onProgress ?? (() => {});
  const revisions = await deps.records.revisions({ environmentId: record.id });
  const live = revisions.find((r) => r.state === 'live');
  const previous =
    revisions.find((r) => r.state === 'warm' && r.artifactId !== live?.artifactId) ??
    revisions.find((r) => r.state === 'retired' && r.artifactId !== live?.artifactId);
  if (live === undefined || previous === undefined) {
    throw new FlowlineError(
      'FLOWLINE_NOT_FOUND',
      `${environment} has no previous artifact to roll back to.`,
      {
        hint: 'Rollback needs an earlier successful deployment of a different artifact in this environment.',
      },
    );
  }
  const host =
    (await deps.records.routes()).find((r) => r.environmentId === record.id)?.host ??
    hostOf(service, environment);
  const instant = previous.state === 'warm';
  const revision = instant
    ? previous.revision
    : revisionName(previous.artifactId, newId('r', deps.clock.now()));
  const deployment = await deps.store.write(async (tx) => {
    const d = await deps.catalog.startDeployment(
      {
        service,
        environment,
        artifactId: previous.artifactId,
        strategy: 'rollback',
        actor: request.actor.name,
        kind: 'rollback',
      },
      tx,
    );
    await deps.records.markStarting(tx, d.id, {
      revision,
      previousRevision: live.revision,
      host,
      keepWarmMs: 0,
    });
    if (!instant) {
      await deps.records.insertRevision(tx, {
        revision,
        serviceId,
        environmentId: record.id,
        deploymentId: d.id,
        artifactId: previous.artifactId,
        spec: { ...previous.spec, revision },
      });
    }
    await tx
      .updateTable('deployments')
      .set({ status: 'rolled_back' })
      .where('id', '=', live.deploymentId)
      .execute();
    await deps.audit.append(
      {
        actor: request.actor,
        action: 'deploy.rollback',
        target: `env:${service}/${environment}`,
        where: request.where,
        details: {
          deployment: d.id,
          from: live.revision,
          to: revision,
          artifact: previous.artifactId,
          instant,
        },
      },
      tx,
    );
    return d;
  });
  const plan = {
    deploymentId: deployment.id,
    revision,
    stable: live.revision,
    host,
    service,
    environment,
    serviceId,
    environmentId: record.id,
  };
  if (!instant) {
    progress(
      `starting ${counted(previous.spec.instances, 'instance')} of ${short(previous.artifactId)} again`,
    );
    try {
      await deps.runtime.start({ ...previous.spec, revision }, progress);
    } catch (error) {
      await abandon(deps, plan, `rollback failed: ${(error as Error).message}`);
      throw new FlowlineError(
        'FLOWLINE_DEPLOY_FAILED',
        `Rollback of ${environment} failed: ${(error as Error).message}`,
        {
          hint: `${environment} still serves ${live.revision}.`,
        },
      );
    }
  }
  await deps.records.setPhase(deployment.id, 'switching');
  await switchTraffic(deps, plan, [{ revision, weight: 100 }]);
  await promote(deps, plan, 0);
  progress(
    `✔ ${environment} serves ${short(previous.artifactId)} again (${instant ? 'instant: it was warm' : 'restarted'})`,
  );
  await retireDue(deps);
  return { deploymentId: deployment.id, host, artifact: previous.artifactId };
}
