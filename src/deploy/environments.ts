import type { Actor, Where } from '../audit/index.js';
import type { Principal } from '../auth/index.js';
import type { Environment } from '../catalog/index.js';
import { FlowlineError } from '../core/errors.js';
import { previewEnvironment, previewPolicy, sealedConfig } from './admission.js';
import { type DeployControllerDeps, type DeployOutcome, type DeployRequest, SYSTEM_ACTOR } from './deps.js';
import { deletedPreviews, removeData } from './env-data.js';
import { type EnvironmentStatusReport, environmentStatus, type InstanceStates } from './env-status.js';
import { resolveArtifact } from './gates.js';
import { short } from './plan.js';
import { nameTaken, previewName } from './previews.js';

/** A preview lives this long unless the template's `ttl` or `--ttl` says otherwise. */
export const DEFAULT_PREVIEW_TTL_MS = 72 * 3_600_000;

export interface EnvironmentServiceDeps
  extends Pick<
    DeployControllerDeps,
    'store' | 'catalog' | 'audit' | 'clock' | 'records' | 'runtime' | 'router' | 'policies' | 'artifactPath'
  > {
  /** Deploys with the deploy controller (previews deploy all-at-once from the template). */
  readonly deploy: (request: DeployRequest) => Promise<DeployOutcome>;
  /** The runtime's view of a revision's instances, for health and drift. */
  readonly instances?: InstanceStates;
  /** The URL users reach a host at through the router. */
  readonly urlFor?: (host: string) => string;
  /** Where the reaper reports what it could not do. */
  readonly log?: (line: string) => void;
}

export interface PreviewRequest {
  readonly service: string;
  /** At least one of branch and pullRequest; the name is `pr-<n>` when a pull request is given. */
  readonly branch?: string | undefined;
  readonly pullRequest?: number | undefined;
  /** Default: the template's `ttl`, else 72 h. */
  readonly ttlMs?: number | undefined;
  /** Default: the newest artifact a run of the branch built, else what the controller picks. */
  readonly artifact?: string | undefined;
  /** Who asks; the deploy to the preview checks the template's policy against it. */
  readonly principal: Principal;
  readonly where: Where;
  readonly onProgress?: (line: string) => void;
}

export interface PreviewOutcome extends DeployOutcome {
  readonly environment: Environment;
  /** False when the preview existed: its time to live was refreshed and it was deployed again. */
  readonly created: boolean;
}

export interface DeleteRequest {
  readonly service: string;
  readonly name: string;
  /** Needed to delete a persistent environment (the HTTP layer asks for the admin role). */
  readonly force?: boolean;
  /**
   * Also delete a persistent environment's data folder (FLOWLINE_DATA_DIR), which is otherwise
   * kept for a later deploy. A preview's always goes with it.
   */
  readonly purgeData?: boolean;
  readonly actor: Actor;
  readonly where: Where;
  readonly onProgress?: (line: string) => void;
}

export interface DeleteOutcome {
  readonly environment: Environment;
  /** The revisions that were stopped. */
  readonly revisions: readonly string[];
  readonly host: string | null;
  /** Whether its data folder (FLOWLINE_DATA_DIR) was deleted; false: kept, or not deleted yet. */
  readonly dataRemoved: boolean;
}

/**
 * Environments on demand: previews per pull request or branch (created from the flowline.yaml
 * environment marked `ephemeral: true`, with a time to live), their teardown when deleted or
 * expired, and the status of every environment with its drift.
 */
export class EnvironmentService {
  private readonly busy = new Set<string>();
  private reaping = false;

  constructor(private readonly deps: EnvironmentServiceDeps) {}

  /**
   * Creates the preview `pr-<n>` / `br-<branch>` and deploys to it. When it exists, its time to
   * live starts again and it is deployed again: what CI does on every push to a pull request.
   */
  async create(request: PreviewRequest): Promise<PreviewOutcome> {
    const { service, principal, where } = request;
    const actor = principal.actor;
    const { catalog } = this.deps;
    const progress = request.onProgress ?? (() => {});
    const name = previewName(request);
    const policy = await this.deps.policies.get(service);
    if (policy === undefined) {
      throw new FlowlineError('FLOWLINE_NOT_FOUND', `The server knows no service named ${service}.`, {
        hint: 'A service is registered by its first `flowline run` against this server.',
      });
    }
    previewPolicy(policy, name);
    if (policy.environments[name] !== undefined) throw nameTaken(name, 'an environment of the policy');

    return this.locked(service, name, async () => {
      const existing = await catalog.findEnvironment(service, name);
      if (existing?.kind === 'persistent') throw nameTaken(name, 'a persistent environment');
      if (
        existing !== undefined &&
        request.pullRequest === undefined &&
        existing.branch !== null &&
        existing.branch !== request.branch
      ) {
        throw nameTaken(name, `the preview of branch ${existing.branch}`);
      }
      const branch = request.branch ?? existing?.branch ?? undefined;
      const artifact = await resolveArtifact(
        this.deps,
        service,
        request.artifact ?? (await this.branchArtifact(service, branch, progress)),
        undefined,
      );
      const workdir = await this.deps.artifactPath(artifact);
      if (workdir === undefined) {
        throw new FlowlineError(
          'FLOWLINE_ARTIFACT_NOT_FOUND',
          `Artifact ${artifact} is recorded but not in the artifact store.`,
          {
            hint: 'Build it again with `flowline run`.',
          },
        );
      }
      const template = previewEnvironment((await sealedConfig(workdir, artifact, service)).config, artifact);
      const ttlMs = request.ttlMs ?? template.ttl ?? DEFAULT_PREVIEW_TTL_MS;
      const expiresAt = new Date(this.deps.clock.now().getTime() + ttlMs).toISOString();
      const env = await catalog.ensureEnvironment(service, name, 'ephemeral', {
        ...(branch === undefined ? {} : { branch }),
        ...(request.pullRequest === undefined ? {} : { pullRequest: request.pullRequest }),
        expiresAt,
      });
      await this.deps.store.write(async (tx) => {
        await catalog.setEnvironmentExpiry(env.id, expiresAt, tx);
        await this.deps.audit.append(
          {
            actor,
            action: 'env.create',
            target: `env:${service}/${name}`,
            where,
            details: {
              branch: branch ?? null,
              pullRequest: request.pullRequest ?? env.pullRequest,
              expiresAt,
              refreshed: existing !== undefined,
            },
          },
          tx,
        );
      });
      progress(
        existing === undefined
          ? `created preview ${name} of ${service} (expires ${expiresAt})`
          : `${name} exists: its time to live now ends ${expiresAt}; deploying again`,
      );
      const outcome = await this.deps.deploy({
        service,
        environment: name,
        artifact,
        principal,
        where,
        onProgress: progress,
      });
      const environment = (await catalog.findEnvironment(service, name)) ?? { ...env, expiresAt };
      return { ...outcome, environment, created: existing === undefined };
    });
  }

  /**
   * Tears an environment down: its route leaves the router, in-flight requests drain, every
   * revision is stopped, the environment is marked deleted, and a preview's data folder is
   * deleted (a persistent environment's is kept unless `purgeData`). The records are written
   * first, so a Flowline killed half-way finishes the teardown at its next start ({@link sweep}).
   */
  async delete(
    request: DeleteRequest,
    action: 'env.delete' | 'env.expire' = 'env.delete',
  ): Promise<DeleteOutcome> {
    const { service, name } = request;
    const { catalog, records, router } = this.deps;
    const progress = request.onProgress ?? (() => {});
    const env = await catalog.findEnvironment(service, name);
    if (env === undefined) {
      throw new FlowlineError(
        'FLOWLINE_DEPLOY_UNKNOWN_ENVIRONMENT',
        `Service ${service} has no environment \`${name}\`.`,
        {
          hint: 'See the environments with `flowline env list`.',
        },
      );
    }
    if (env.kind === 'persistent' && request.force !== true) {
      throw new FlowlineError(
        'FLOWLINE_ENV_PERSISTENT',
        `${name} is a persistent environment of ${service}.`,
        {
          hint: `Persistent environments come from flowline.yaml; to tear it down anyway: flowline env delete ${name} --force (admin).`,
        },
      );
    }
    return this.locked(service, name, async () => {
      const underway = (await records.unfinished()).find((d) => d.environmentId === env.id);
      if (underway !== undefined) {
        throw new FlowlineError(
          'FLOWLINE_DEPLOY_IN_PROGRESS',
          `Deployment ${underway.id} to ${name} is still under way.`,
          {
            hint: 'Wait for it to finish (flowline deployments), or abort it, then delete again.',
          },
        );
      }
      const revisions = await records.revisions({
        environmentId: env.id,
        states: ['starting', 'ready', 'live', 'warm'],
      });
      const route = (await records.routes()).find((r) => r.environmentId === env.id);
      await this.deps.store.write(async (tx) => {
        if (route !== undefined) await records.deleteRoute(route.host, tx);
        for (const r of revisions) await records.setRevisionState(r.revision, 'retired', null, tx);
        await catalog.deleteEnvironment(env.id, tx);
        await this.deps.audit.append(
          {
            actor: request.actor,
            action,
            target: `env:${service}/${name}`,
            where: request.where,
            details: {
              kind: env.kind,
              host: route?.host ?? null,
              revisions: revisions.map((r) => r.revision),
              ...(action === 'env.expire' ? { expiresAt: env.expiresAt } : {}),
            },
          },
          tx,
        );
      });
      if (route !== undefined) {
        await router.removeRoute(route.host);
        progress(`removed the route of ${route.host}`);
      }
      for (const r of revisions) {
        const instances = await this.deps.runtime.instances(r.revision);
        await router.drain(instances.map((i) => i.id));
        progress(`stopping ${r.revision} (${short(r.artifactId)})`);
        await this.deps.runtime.stop(r.revision);
      }
      // A persistent environment's data outlives it unless purged, as a Retain volume does.
      const purge = env.kind === 'ephemeral' || request.purgeData === true;
      const dataRemoved = purge && (await removeData(this.deps.runtime, env, progress));
      if (!purge) progress(`kept the data folder of ${name}: a deploy to ${name} finds it again`);
      progress(`✔ ${name} deleted`);
      return {
        environment: env,
        revisions: revisions.map((r) => r.revision),
        host: route?.host ?? null,
        dataRemoved,
      };
    });
  }

  /**
   * Deletes every preview whose time to live has passed, as Flowline itself. Never runs twice at
   * once; a preview that is being deployed is left for the next call.
   */
  async reapExpired(where: Where): Promise<string[]> {
    if (this.reaping) return [];
    this.reaping = true;
    try {
      const now = this.deps.clock.now().toISOString();
      const due = (await this.deps.catalog.listEnvironments()).filter(
        (e) => e.kind === 'ephemeral' && e.expiresAt !== null && e.expiresAt <= now,
      );
      const deleted: string[] = [];
      for (const env of due) {
        try {
          await this.delete(
            { service: env.service, name: env.name, actor: SYSTEM_ACTOR, where },
            'env.expire',
          );
          deleted.push(`${env.service}/${env.name}`);
        } catch (error) {
          if ((error as FlowlineError).code === 'FLOWLINE_DEPLOY_IN_PROGRESS') continue;
          this.deps.log?.(`deleting expired ${env.service}/${env.name} failed: ${(error as Error).message}`);
        }
      }
      return deleted;
    } finally {
      this.reaping = false;
    }
  }

  /**
   * Finishes teardowns that a killed Flowline left half-done: stops whatever still runs of the
   * revisions of deleted environments, then deletes what is left of deleted previews' data
   * folders. Run at start-up, after the runtime adopted its instances.
   */
  async sweep(): Promise<string[]> {
    const rows = await this.deps.store.db
      .selectFrom('revisions')
      .innerJoin('environments', 'environments.id', 'revisions.environment_id')
      .select('revisions.revision')
      .where('environments.deleted_at', 'is not', null)
      .execute();
    const stopped: string[] = [];
    for (const { revision } of rows) {
      const running = this.deps.instances === undefined ? [] : await this.deps.instances(revision);
      if (running.every((i) => i.state === 'stopped')) continue;
      await this.deps.runtime.stop(revision);
      stopped.push(revision);
    }
    for (const env of await deletedPreviews(this.deps.store)) {
      await removeData(this.deps.runtime, env, (line) => this.deps.log?.(line));
    }
    return stopped;
  }

  /** Every live environment with its URL, artifact, commit, health and drift. */
  status(service?: string): Promise<EnvironmentStatusReport> {
    return environmentStatus(
      {
        store: this.deps.store,
        catalog: this.deps.catalog,
        records: this.deps.records,
        ...(this.deps.instances === undefined ? {} : { instances: this.deps.instances }),
        ...(this.deps.urlFor === undefined ? {} : { urlFor: this.deps.urlFor }),
        configs: this.deps,
      },
      service,
    );
  }

  /** The newest artifact a run of the branch built (a succeeded run's first). */
  private async branchArtifact(
    service: string,
    branch: string | undefined,
    progress: (line: string) => void,
  ): Promise<string | undefined> {
    if (branch === undefined) return undefined;
    const runs = (await this.deps.catalog.listRuns({ service, limit: 1000 })).filter(
      (r) => r.branch === branch && r.artifactId !== null,
    );
    const run = runs.find((r) => r.status === 'succeeded') ?? runs[0];
    if (run?.artifactId == null) {
      progress(`no run of ${branch} built an artifact: deploying the default artifact`);
      return undefined;
    }
    progress(
      `artifact ${short(run.artifactId)} from run ${run.id} of ${branch}${run.status === 'succeeded' ? '' : ` (that run ${run.status})`}`,
    );
    return run.artifactId;
  }

  /** One create or delete per environment at a time, in this process. */
  private async locked<T>(service: string, name: string, fn: () => Promise<T>): Promise<T> {
    const key = `${service}/${name}`;
    if (this.busy.has(key)) {
      throw new FlowlineError(
        'FLOWLINE_DEPLOY_IN_PROGRESS',
        `${name} is being created or deleted right now.`,
        {
          hint: 'Wait for that to finish, then retry.',
        },
      );
    }
    this.busy.add(key);
    try {
      return await fn();
    } finally {
      this.busy.delete(key);
    }
  }
}
