import type { Catalog, EnvironmentKind } from '../catalog/index.js';
import type { Store } from '../store/index.js';
import { type ConfigDriftDeps, configDriftFinder } from './config-drift.js';
import { commitOf } from './env-commit.js';
import { hostOf, short } from './plan.js';
import type { DeployRecords, StoredTarget } from './records.js';

/** One instance of a revision as the runtime reports it (a subset of the runtime's status). */
export interface InstanceHealth {
  readonly id: string;
  /** `starting`, `healthy`, `unhealthy`, `crashed`, `restarting`, `stopping`, `stopped`. */
  readonly state: string;
  readonly restarts: number;
  readonly pid: number | null;
}

/** The runtime's instances of a revision; only where the runtime runs (`flowline serve`). */
export type InstanceStates = (revision: string) => Promise<readonly InstanceHealth[]>;

/** What `flowline env list` shows for one environment. */
export interface EnvironmentStatus {
  readonly service: string;
  readonly name: string;
  readonly kind: EnvironmentKind;
  readonly branch: string | null;
  readonly pullRequest: number | null;
  /** The host the router serves it on, e.g. `pr-12.hello.localhost`. */
  readonly host: string;
  /** Where users reach it through the router; null when the router's port is unknown here. */
  readonly url: string | null;
  /** The live revision, its artifact, and the commit the artifact was built from. */
  readonly revision: string | null;
  readonly artifact: string | null;
  readonly commit: string | null;
  /** The commit's subject, author and author time, where the recorded history or its run knows them. */
  readonly commitSubject: string | null;
  readonly commitAuthor: string | null;
  readonly commitAuthoredAt: string | null;
  /** When the live revision went live (its last change of state). */
  readonly liveSince: string | null;
  /** The route's backends: which revision gets which share of traffic (two during a release). */
  readonly traffic: readonly { readonly revision: string; readonly weight: number }[];
  /** The live revision's instances; null without a live revision or without the runtime. */
  readonly health: {
    readonly healthy: number;
    readonly desired: number;
    readonly instances: readonly InstanceHealth[];
  } | null;
  /** The phase of a deployment under way (`starting`, `step:2`), or null. */
  readonly release: string | null;
  /** Short words for each way what runs differs from what was deployed; empty when none. */
  readonly drift: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
}

export interface EnvironmentStatusReport {
  readonly environments: readonly EnvironmentStatus[];
  /** False when the runtime could not be asked (no `flowline serve`): health and its drift are unknown. */
  readonly runtime: boolean;
}

export interface EnvironmentStatusDeps {
  readonly store: Store;
  readonly catalog: Pick<Catalog, 'listEnvironments'>;
  readonly records: Pick<DeployRecords, 'revisions' | 'routes' | 'unfinished'>;
  /** Absent where the runtime does not run (the embedded CLI without a daemon). */
  readonly instances?: InstanceStates;
  readonly urlFor?: (host: string) => string;
  /** To compare what runs with the config the trunk's newest build carries (config-drift.ts). */
  readonly configs?: ConfigDriftDeps;
}

/**
 * Reads every live environment (of one service or all) with what runs in it: the live
 * revision's artifact and commit, instance health from the runtime, and drift between what the
 * records say was deployed and what runs.
 */
export async function environmentStatus(
  deps: EnvironmentStatusDeps,
  service?: string,
): Promise<EnvironmentStatusReport> {
  const environments = await deps.catalog.listEnvironments(service);
  const routes = await deps.records.routes();
  const unfinished = await deps.records.unfinished();
  const configDrift = deps.configs === undefined ? undefined : configDriftFinder(deps.configs);
  const out: EnvironmentStatus[] = [];
  for (const env of environments) {
    const route = routes.find((r) => r.environmentId === env.id);
    const host = route?.host ?? hostOf(env.service, env.name);
    const live = (await deps.records.revisions({ environmentId: env.id, states: ['live'] }))[0];
    const underway = unfinished.find((d) => d.environmentId === env.id);
    const instances =
      live === undefined || deps.instances === undefined ? undefined : await deps.instances(live.revision);
    const desired = live?.spec.instances ?? 0;
    const commit = live === undefined ? null : await commitOf(deps.store, live.serviceId, live.artifactId);
    out.push({
      service: env.service,
      name: env.name,
      kind: env.kind,
      branch: env.branch,
      pullRequest: env.pullRequest,
      host,
      url: deps.urlFor?.(host) ?? null,
      revision: live?.revision ?? null,
      artifact: live?.artifactId ?? null,
      commit: commit?.sha ?? null,
      commitSubject: commit?.subject ?? null,
      commitAuthor: commit?.author ?? null,
      commitAuthoredAt: commit?.authoredAt ?? null,
      liveSince: live?.updatedAt ?? null,
      traffic: route?.target.backends ?? [],
      health:
        instances === undefined
          ? null
          : { healthy: instances.filter((i) => i.state === 'healthy').length, desired, instances },
      release: underway === undefined ? null : (underway.phase ?? 'pending'),
      drift: [
        ...driftOf({
          live:
            live === undefined ? undefined : { revision: live.revision, artifact: live.artifactId, desired },
          deployed: await latestSucceeded(deps.store, env.id),
          route: route?.target,
          releasing: underway !== undefined,
          instances,
        }),
        // A preview runs its branch on purpose; persistent environments should run what trunk says.
        ...(configDrift === undefined || live === undefined || env.kind === 'ephemeral'
          ? []
          : [await configDrift(env.service, env.name, live.artifactId)].filter((d) => d !== undefined)),
      ],
      createdAt: env.createdAt,
      expiresAt: env.expiresAt,
    });
  }
  return { environments: out, runtime: deps.instances !== undefined };
}

/**
 * The ways what runs differs from what was deployed, as short words:
 * - `deployed <a>, live <b>`: the latest succeeded deployment's artifact is not the live one;
 * - `nothing live`: a deployment succeeded but no revision is live;
 * - `no route` / `traffic 90% on live`: outside a release, the router must send all traffic to live;
 * - `no instances` / `1/2 healthy`: the live revision runs fewer healthy instances than its spec asks
 *   (only when the runtime's view is known).
 * Artifact and route checks are skipped while a release is under way: moving traffic is its job.
 */
export function driftOf(input: {
  readonly live:
    | { readonly revision: string; readonly artifact: string; readonly desired: number }
    | undefined;
  readonly deployed: string | undefined;
  readonly route: StoredTarget | undefined;
  readonly releasing: boolean;
  readonly instances: readonly InstanceHealth[] | undefined;
}): string[] {
  const drift: string[] = [];
  const { live, deployed } = input;
  if (live === undefined) {
    if (deployed !== undefined && !input.releasing) drift.push(`nothing live (deployed ${short(deployed)})`);
    return drift;
  }
  if (!input.releasing) {
    if (deployed !== undefined && deployed !== live.artifact) {
      drift.push(`deployed ${short(deployed)}, live ${short(live.artifact)}`);
    }
    if (input.route === undefined) drift.push('no route');
    else {
      const weight = input.route.backends
        .filter((b) => b.revision === live.revision)
        .reduce((sum, b) => sum + b.weight, 0);
      if (Math.abs(weight - 100) > 1e-9) drift.push(`traffic ${weight}% on live`);
    }
  }
  if (input.instances !== undefined) {
    const healthy = input.instances.filter((i) => i.state === 'healthy').length;
    if (input.instances.length === 0) drift.push('no instances');
    else if (healthy < live.desired) drift.push(`${healthy}/${live.desired} healthy`);
  }
  return drift;
}

/** The artifact of the newest succeeded deployment to this environment (this incarnation of its name). */
async function latestSucceeded(store: Store, environmentId: string): Promise<string | undefined> {
  const row = await store.db
    .selectFrom('deployments')
    .select('artifact_id')
    .where('environment_id', '=', environmentId)
    .where('status', '=', 'succeeded')
    .where('imported', '=', 0) // history from before Flowline says nothing about what runs now
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.artifact_id;
}
