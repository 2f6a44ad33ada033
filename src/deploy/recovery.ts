import { baselineRevision, isBaselineRevision } from './baseline.js';
import type { DeployControllerDeps } from './deps.js';
import { hostOf } from './plan.js';
import type { StoredTarget, UnfinishedDeployment } from './records.js';
import { type ResumableRelease, resumableAnalysis, resumableCanary } from './resume.js';
import { abandon, applyRoute, promote } from './traffic.js';

type Deps = Pick<DeployControllerDeps, 'records' | 'runtime' | 'router' | 'clock' | 'incidents'>;

export interface RecoveryReport {
  /** Deployments finished after the restart (their switch had happened). */
  readonly completed: string[];
  /** Deployments undone (interrupted before traffic moved, or their new revision was gone). */
  readonly abandoned: string[];
  /** Hosts whose routes were rebuilt in the router. */
  readonly routes: string[];
  /** Live revisions that had no instance left and were started again. */
  readonly restarted: string[];
  /** Canaries carried on from their step (handed to `resume` once the routes were rebuilt). */
  readonly resumed: string[];
}

/**
 * What a restarted Flowline does after the runtime adopted its instances: every deployment that
 * was under way ends in a defined state, and every route is rebuilt so traffic flows to healthy
 * instances. The rule: if the switch was recorded and the new revision is healthy, finish the
 * deployment; if a canary was at a step and both its revisions are healthy (see resume.ts), its
 * stored route stands and `resume` carries it on; otherwise send traffic to the previous
 * revision and fail it with the reason. Without `resume`, every canary fails safe. A canary's
 * fresh baseline (baseline.ts) goes with its release: kept for one carried on, stopped otherwise,
 * and a route never keeps a share on a baseline with no instance (it goes back to stable).
 */
export async function recover(
  deps: Deps,
  log: (line: string) => void = () => {},
  resume?: (release: ResumableRelease) => Promise<void>,
): Promise<RecoveryReport> {
  const report: RecoveryReport = { completed: [], abandoned: [], routes: [], restarted: [], resumed: [] };
  const routes = await deps.records.routes();
  const resumable: ResumableRelease[] = [];

  for (const d of await deps.records.unfinished()) {
    const host =
      (d.state.host as string | undefined) ?? routes.find((r) => r.environmentId === d.environmentId)?.host;
    const plan = {
      deploymentId: d.id,
      revision: d.revision ?? '',
      stable: d.previousRevision ?? undefined,
      host: host ?? hostOf(d.service, d.environment),
      service: d.service,
      environment: d.environment,
      serviceId: d.serviceId,
      environmentId: d.environmentId,
      // A canary's fresh baseline, named before it was started: stopped if the release ends here.
      baseline: typeof d.state.baseline === 'string' ? d.state.baseline : undefined,
    };
    const healthy = d.revision === null ? [] : await deps.runtime.instances(d.revision);
    // A switch whose plan has an analysis after it was never checked: the analysis runs again.
    const unchecked = d.phase === 'analysis' || (d.phase === 'switching' && analysedAfterSwitch(d));
    if ((d.phase === 'switching' || d.phase === 'done') && !unchecked && healthy.length > 0) {
      await promote(deps, plan, Number(d.state.keepWarmMs ?? 0));
      report.completed.push(d.id);
      log(`deployment ${d.id}: the switch was recorded and ${d.revision} is healthy: completed`);
      continue;
    }
    const again =
      resume === undefined
        ? undefined
        : d.phase?.startsWith('step:') === true
          ? await resumableCanary(deps, d, plan.host)
          : unchecked
            ? await resumableAnalysis(deps, d, plan.host)
            : undefined;
    if (again?.ok === true) {
      resumable.push(again.release);
      report.resumed.push(d.id);
      log(`deployment ${d.id}: ${again.release.note}`);
      continue;
    }
    // A canary step (`step:N`) had already moved traffic: say where it went back to.
    const reason = unchecked
      ? `Flowline restarted before the analysis after the switch gave its verdict, and it could not run again; traffic returned to ${d.previousRevision ?? 'nothing'} and ${d.revision} was stopped: deploy again to retry`
      : d.phase === 'switching'
        ? `Flowline restarted during the switch and ${d.revision} had no healthy instance; traffic returned to ${d.previousRevision ?? 'nothing'}`
        : d.phase?.startsWith('step:')
          ? `Flowline restarted during the canary (${d.phase}); all traffic returned to ${d.previousRevision ?? 'nothing'} and ${d.revision} was stopped: deploy again to retry`
          : `Flowline restarted before traffic moved (phase ${d.phase ?? 'pending'}); ${d.previousRevision ?? 'the previous state'} kept serving`;
    if (again !== undefined && !again.ok)
      await deps.records.journal(d.id, 'decision', `not resumed: ${again.why}`);
    await abandon(deps, plan, reason);
    report.abandoned.push(d.id);
    log(`deployment ${d.id}: ${reason}`);
  }

  // Fresh baselines (baseline.ts) that no resumed canary carries on with are stopped: never orphaned.
  const kept = new Set(resumable.flatMap((release) => release.rollout.baseline ?? []));
  for (const stable of await deps.records.revisions({ states: ['live', 'warm'] })) {
    const baseline = baselineRevision(stable.revision);
    if (kept.has(baseline) || (await deps.runtime.instances(baseline)).length === 0) continue;
    log(`${baseline} is a fresh baseline no release carries on with: stopping it`);
    await deps.runtime.stop(baseline).catch(() => {});
  }

  for (const route of await deps.records.routes()) {
    let target = route.target;
    for (const backend of route.target.backends) {
      if ((await deps.runtime.instances(backend.revision)).length > 0) continue;
      if (isBaselineRevision(backend.revision)) {
        // A dead baseline is never started again from here (the resumed canary does that): its share goes to stable.
        target = withoutBaseline(target, backend.revision);
        if (backend.weight > 0)
          log(`${backend.revision} has no instance left: its ${backend.weight}% goes back to stable`);
        continue;
      }
      const revision = await deps.records.revision(backend.revision);
      if (revision === undefined || backend.weight === 0) continue;
      log(`${backend.revision} serves ${route.host} but has no instance left: starting it again`);
      await deps.runtime.start(revision.spec, log);
      report.restarted.push(backend.revision);
    }
    if (target !== route.target)
      await deps.records.saveRoute(
        route.host,
        { serviceId: route.serviceId, environmentId: route.environmentId },
        target,
      );
    await applyRoute(deps, route.host, target);
    report.routes.push(route.host);
  }
  // Only now: a resumed release moves traffic itself, which must not race the rebuild above.
  for (const release of resumable) await resume?.(release);
  return report;
}

/** Whether the recorded plan analyses the revision after the switch (blue-green postPromotionAnalysis). */
function analysedAfterSwitch(d: UnfinishedDeployment): boolean {
  const strategy = d.plan?.strategy;
  return strategy?.kind === 'blueGreen' && (strategy.postPromotionAnalysis?.templates.length ?? 0) > 0;
}

/** A route without a fresh baseline, its share given to the stable revision it is a copy of. */
function withoutBaseline(target: StoredTarget, baseline: string): StoredTarget {
  const share = target.backends.find((b) => b.revision === baseline)?.weight ?? 0;
  const backends = target.backends
    .filter((b) => b.revision !== baseline)
    .map((b) => (baselineRevision(b.revision) === baseline ? { ...b, weight: b.weight + share } : b));
  return { ...target, backends };
}
