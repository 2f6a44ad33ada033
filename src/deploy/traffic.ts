import { FlowlineError } from '../core/errors.js';
import { stopBaseline } from './baseline.js';
import type { DeployControllerDeps, FailureCause, Rollout } from './deps.js';
import type { Backend } from './ports.js';
import type { StoredTarget } from './records.js';

type Deps = Pick<DeployControllerDeps, 'records' | 'runtime' | 'router' | 'clock' | 'incidents'> &
  Partial<Pick<DeployControllerDeps, 'events'>>;

/**
 * The moves every strategy makes on traffic and revision states: switch (persist the desired
 * route, then apply it), promote, abandon, retire. Persist first, then act: see recovery.ts.
 */

/** Persists the desired route, then applies it to the router with each revision's live instances. */
export async function switchTraffic(
  deps: Deps,
  r: Pick<Rollout, 'host' | 'service' | 'environment' | 'serviceId' | 'environmentId'> &
    Partial<Pick<Rollout, 'deploymentId' | 'revision'>>,
  backends: StoredTarget['backends'],
  extra: Omit<StoredTarget, 'backends' | 'service' | 'environment'> = {},
): Promise<void> {
  const target: StoredTarget = { service: r.service, environment: r.environment, backends, ...extra };
  // Never send traffic to a revision with nothing healthy to answer it (a crash just before the switch).
  for (const b of backends) {
    if (b.weight > 0 && (await deps.runtime.instances(b.revision)).length === 0) {
      throw new FlowlineError(
        'FLOWLINE_DEPLOY_FAILED',
        `${b.revision} has no healthy instance to take ${b.weight}% of traffic.`,
        {
          hint: 'Its instances crashed or turned unhealthy; see the instance logs under .flowline/logs/instances.',
        },
      );
    }
  }
  const ids = { serviceId: r.serviceId, environmentId: r.environmentId };
  if (r.deploymentId !== undefined && r.revision !== undefined && serves(target, r.revision))
    await deps.records.saveServingRoute(r.host, ids, target, r.deploymentId);
  else await deps.records.saveRoute(r.host, ids, target);
  await applyRoute(deps, r.host, target);
  announceWeights(deps, r, backends);
}

/**
 * `release.weight.changed` once the router applies new weights: the steps announce themselves
 * only when done, and a switch, a canary weight or a return to stable otherwise goes unheard.
 */
function announceWeights(
  deps: Pick<Deps, 'events' | 'clock'>,
  r: Pick<Rollout, 'service' | 'environment' | 'host'> & Partial<Pick<Rollout, 'deploymentId'>>,
  backends: StoredTarget['backends'],
): void {
  deps.events?.emit({
    type: 'release.weight.changed',
    at: deps.clock.now().toISOString(),
    service: r.service,
    environment: r.environment,
    subject: r.deploymentId ?? r.host,
    message: backends.map((b) => `${b.revision} ${b.weight}%`).join(', '),
    data: {
      ...(r.deploymentId === undefined ? {} : { deploymentId: r.deploymentId }),
      host: r.host,
      weights: backends.map((b) => ({ revision: b.revision, weight: b.weight })),
    },
  });
}

/** Whether a route sends any user to `revision`: a weight, or a header/cookie pin. */
function serves(target: StoredTarget, revision: string): boolean {
  return (
    target.match?.revision === revision ||
    target.backends.some((b) => b.revision === revision && b.weight > 0)
  );
}

/** Applies a stored route to the router (also used to rebuild routes after a restart). */
export async function applyRoute(
  deps: Pick<Deps, 'runtime' | 'router'>,
  host: string,
  target: StoredTarget,
): Promise<void> {
  const backends: Backend[] = [];
  for (const b of target.backends) {
    backends.push({
      revision: b.revision,
      weight: b.weight,
      instances: await deps.runtime.instances(b.revision),
    });
  }
  await deps.router.setRoute(host, { ...target, backends });
}

/**
 * The new revision is live; the old one is kept warm until `keepWarmMs` from now, then retired. A
 * canary's fresh baseline (no longer routed to: all traffic is on the new revision) is stopped.
 */
export async function promote(
  deps: Deps,
  r: Pick<Rollout, 'deploymentId' | 'revision' | 'stable' | 'baseline'>,
  keepWarmMs: number,
): Promise<void> {
  // Before the deployment is done: a restart in between finds it unfinished and promotes again.
  await stopBaseline(deps, r.baseline);
  const now = deps.clock.now();
  await deps.records.setRevisionState(r.revision, 'live');
  if (r.stable !== undefined) {
    await deps.records.setRevisionState(r.stable, 'warm', new Date(now.getTime() + keepWarmMs).toISOString());
  }
  await deps.records.setPhase(r.deploymentId, 'done', { status: 'succeeded' });
}

/**
 * Gives up on a deployment: traffic back to stable, the new revision (and a canary's fresh
 * baseline) stopped, the reason recorded.
 * If its revision served users and no person asked for it, the controller rolled a release back by
 * itself: an incident opens in the transaction that fails it (source `analysis` when its analysis
 * failed, else `rollback`), once per deployment however often this runs.
 */
export async function abandon(
  deps: Deps,
  r: Pick<
    Rollout,
    | 'deploymentId'
    | 'revision'
    | 'stable'
    | 'host'
    | 'service'
    | 'environment'
    | 'serviceId'
    | 'environmentId'
    | 'baseline'
  >,
  reason: string,
  cause: FailureCause = 'automatic',
): Promise<void> {
  const { incidents } = deps;
  await deps.records.fail(
    r.deploymentId,
    reason,
    cause === 'analysis',
    incidents === undefined || cause === 'person'
      ? undefined
      : async (tx, served) => {
          if (!served) return; // nothing users saw changed: a failed deployment, not an incident
          await incidents.open(
            {
              service: r.service,
              environment: r.environment,
              title:
                cause === 'analysis'
                  ? `Release analysis failed in ${r.environment}; rolled back: ${reason}`
                  : `Release rolled back in ${r.environment}: ${reason}`,
              source: cause === 'analysis' ? 'analysis' : 'rollback',
              key: `deployment:${r.deploymentId}`,
              once: true,
              cause: { kind: 'deployment', id: r.deploymentId },
              details: { deployment: r.deploymentId, reason },
            },
            tx,
          );
        },
  );
  const route = await deps.records.route(r.host);
  if (route?.backends.some((b) => b.revision === r.revision) && r.stable !== undefined) {
    // Back to stable even if it is momentarily unhealthy: the router answers 503 until it recovers,
    // which beats sending users to the revision we are giving up on.
    const target: StoredTarget = {
      service: route.service,
      environment: route.environment,
      backends: [{ revision: r.stable, weight: 100 }],
    };
    await deps.records.saveRoute(r.host, { serviceId: r.serviceId, environmentId: r.environmentId }, target);
    await applyRoute(deps, r.host, target);
    announceWeights(deps, r, target.backends);
  }
  await deps.records.setRevisionState(r.revision, 'failed');
  await deps.runtime.stop(r.revision).catch(() => {});
  await stopBaseline(deps, r.baseline);
}

/**
 * Retires warm revisions whose time is up: drain their in-flight requests at the router, then
 * stop their instances. Safe to call at any time (the daemon calls it every second).
 */
export async function retireDue(
  deps: Pick<Deps, 'records' | 'runtime' | 'router' | 'clock'>,
): Promise<string[]> {
  const now = deps.clock.now().toISOString();
  const due = (await deps.records.revisions({ states: ['warm'] })).filter(
    (r) => r.stopAt !== null && r.stopAt <= now,
  );
  for (const revision of due) {
    await deps.records.setRevisionState(revision.revision, 'retired');
    const instances = await deps.runtime.instances(revision.revision);
    await deps.router.drain(instances.map((i) => i.id));
    await deps.runtime.stop(revision.revision);
  }
  return due.map((r) => r.revision);
}
