import type { Actor, AuditLog, Where } from '../audit/index.js';
import type { Catalog, Deployment, Environment as EnvRecord } from '../catalog/index.js';
import type { FlowlineConfig } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Store } from '../store/index.js';
import type { Analyze } from './canary.js';
import { environmentConfig, hostOf, revisionName, revisionSpec } from './plan.js';
import type { RevisionRuntime, TrafficRouter } from './ports.js';
import type { DeployRecords } from './records.js';
import { abortableSleep, type ControlAction, ReleaseControl } from './release-control.js';
import { abandon, promote, type Rollout, retireDue, runRollout, switchTraffic } from './rollout.js';

export interface DeployControllerDeps {
  readonly store: Store;
  readonly catalog: Catalog;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly records: DeployRecords;
  readonly runtime: RevisionRuntime;
  readonly router: TrafficRouter;
  readonly events: EventBus;
  /** The folder of a stored artifact, or undefined when the store does not have it. */
  readonly artifactPath: (digest: string) => Promise<string | undefined>;
  /** Throws FLOWLINE_ANDON_RED when the service's trunk is red. */
  readonly assertTrunkGreen: (service: string) => Promise<void>;
  /** Where secret values come from (the server's environment). */
  readonly secretValues: Readonly<Record<string, string | undefined>>;
  /** The URL users reach a host at through the router, e.g. `http://staging.hello.localhost:8080/`. */
  readonly urlFor: (host: string) => string;
  /** Runs analysis templates for canary and blue-green analysis steps; absent: such steps fail. */
  readonly analyze?: Analyze;
  /** Waiting in pauses; tests inject a fast one. Default: real time. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface DeployRequest {
  readonly config: FlowlineConfig;
  readonly environment: string;
  /** A digest or an unambiguous prefix; default: what runs in the predecessor, else the newest artifact. */
  readonly artifact?: string;
  readonly actor: Actor;
  readonly where: Where;
  readonly onProgress?: (line: string) => void;
}

export interface DeployOutcome {
  readonly deployment: Deployment;
  readonly host: string;
  readonly url: string;
}

/**
 * Turns an artifact into a running, routed revision with the environment's strategy, after the
 * gates (trunk green for protected environments, the same artifact proven in the predecessor).
 * One deployment per environment at a time: a second request is refused, never interleaved.
 */
export class DeployController {
  private readonly busy = new Map<string, 'claimed'>();
  private readonly releases = new Map<string, { deploymentId: string; control: ReleaseControl }>();

  constructor(private readonly deps: DeployControllerDeps) {}

  async deploy(request: DeployRequest): Promise<DeployOutcome> {
    const { config, environment } = request;
    const service = config.service;
    const progress = request.onProgress ?? (() => {});
    await this.deps.catalog.ensureService(service);
    const record = await this.environmentRecord(config, environment);
    const env = environmentConfig(config, environment, record.kind);
    const artifact = await this.resolveArtifact(service, request.artifact, env.after);
    await this.checkGates(service, environment, artifact, env);
    const workdir = await this.deps.artifactPath(artifact);
    if (workdir === undefined) {
      throw new FlowlineError(
        'FLOWLINE_ARTIFACT_NOT_FOUND',
        `Artifact ${artifact} is recorded but not in the artifact store.`,
        {
          hint: 'It was garbage-collected or the store was moved; run `flowline run` to build it again.',
        },
      );
    }

    return this.exclusive(service, environment, async () => {
      // A preview is served at its own name: the template's `host` would be shared by every preview.
      const host = hostOf(service, environment, record.kind === 'ephemeral' ? undefined : env);
      const live = (await this.deps.records.revisions({ environmentId: record.id, states: ['live'] }))[0];
      const nonce = newId('r', this.deps.clock.now());
      const revision = revisionName(artifact, nonce);
      const spec = revisionSpec({
        config,
        environment,
        env,
        revision,
        artifact,
        workdir,
        secretValues: this.deps.secretValues,
      });
      const strategy = record.kind === 'ephemeral' ? 'allAtOnce' : env.strategy.kind;
      const keepWarmMs =
        strategy === 'blueGreen' && env.strategy.kind === 'blueGreen' ? env.strategy.scaleDownDelay : 0;

      const deployment = await this.deps.store.write(async (tx) => {
        const d = await this.deps.catalog.startDeployment(
          { service, environment, artifactId: artifact, strategy, actor: request.actor.name },
          tx,
        );
        await tx
          .updateTable('deployments')
          .set({
            status: 'running',
            phase: 'starting',
            revision,
            previous_revision: live?.revision ?? null,
            state_json: JSON.stringify({ host, keepWarmMs }),
          })
          .where('id', '=', d.id)
          .execute();
        await this.deps.records.insertRevision(tx, {
          revision,
          serviceId: record.serviceId,
          environmentId: record.id,
          deploymentId: d.id,
          artifactId: artifact,
          spec,
        });
        await this.deps.audit.append(
          {
            actor: request.actor,
            action: 'deploy.start',
            target: `env:${service}/${environment}`,
            where: request.where,
            details: { deployment: d.id, artifact, strategy, revision },
          },
          tx,
        );
        return d;
      });
      this.emit(
        'deployment.started',
        service,
        environment,
        deployment.id,
        `deploying ${short(artifact)} to ${environment} (${strategy})`,
      );

      const rollout: Rollout = {
        deploymentId: deployment.id,
        service,
        environment,
        environmentId: record.id,
        serviceId: record.serviceId,
        host,
        revision,
        spec,
        stable: live?.revision,
        strategy: record.kind === 'ephemeral' ? { kind: 'allAtOnce' } : env.strategy,
        keepWarmMs,
        analysisTemplates: config.analysis.templates,
        startedAt: this.deps.clock.now(),
        smoke: config.run?.smoke ?? [],
      };
      const journaled = this.journaled(deployment.id, progress);
      const control = new ReleaseControl();
      const key = `${service}/${environment}`;
      this.releases.set(key, { deploymentId: deployment.id, control });
      const outcome = await runRollout(
        {
          ...this.deps,
          sleep: this.deps.sleep ?? abortableSleep,
          announce: (type, message) => this.emit(type, service, environment, deployment.id, message),
        },
        rollout,
        control,
        journaled,
      ).finally(() => this.releases.delete(key));
      await this.deps.records.journal(
        deployment.id,
        'decision',
        outcome.ok ? 'succeeded' : `failed: ${outcome.reason}`,
      );
      await this.deps.audit.append({
        actor: request.actor,
        action: outcome.ok ? 'deploy.succeed' : 'deploy.fail',
        target: `env:${service}/${environment}`,
        where: request.where,
        details: {
          deployment: deployment.id,
          artifact,
          revision,
          ...(outcome.ok ? {} : { reason: outcome.reason }),
        },
      });
      this.emit(
        outcome.ok ? 'deployment.succeeded' : 'deployment.failed',
        service,
        environment,
        deployment.id,
        outcome.ok ? `${environment} now serves ${short(artifact)}` : outcome.reason,
      );
      const final = await this.deployment(service, environment, deployment.id);
      if (!outcome.ok) {
        throw new FlowlineError(
          'FLOWLINE_DEPLOY_FAILED',
          `Deployment ${deployment.id} to ${environment} failed: ${outcome.reason}`,
          {
            hint:
              live === undefined
                ? 'Fix the cause and deploy again.'
                : `${environment} still serves ${live.revision}; fix the cause and deploy again.`,
          },
        );
      }
      return { deployment: final, host, url: this.deps.urlFor(host) };
    });
  }

  /**
   * Returns an environment to its previous good artifact at once: no analysis, no rebuild. A
   * revision still warm from the last blue-green switch takes traffic back instantly; otherwise
   * the previous artifact is started again from the spec it ran with, then switched to.
   */
  async rollback(request: {
    service: string;
    environment: string;
    actor: Actor;
    where: Where;
    onProgress?: (line: string) => void;
  }): Promise<DeployOutcome> {
    const { service, environment } = request;
    const progress = request.onProgress ?? (() => {});
    const record = await this.deps.catalog.findEnvironment(service, environment);
    if (record === undefined) {
      throw new FlowlineError(
        'FLOWLINE_DEPLOY_UNKNOWN_ENVIRONMENT',
        `Service ${service} has no environment \`${environment}\`.`,
        {
          hint: 'See the environments with `flowline env list`.',
        },
      );
    }
    const serviceId = (await this.deps.catalog.getService(service)).id;
    return this.exclusive(service, environment, async () => {
      const revisions = await this.deps.records.revisions({ environmentId: record.id });
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
        (await this.deps.records.routes()).find((r) => r.environmentId === record.id)?.host ??
        hostOf(service, environment);
      const instant = previous.state === 'warm';
      const revision = instant
        ? previous.revision
        : revisionName(previous.artifactId, newId('r', this.deps.clock.now()));
      const deployment = await this.deps.store.write(async (tx) => {
        const d = await this.deps.catalog.startDeployment(
          {
            service,
            environment,
            artifactId: previous.artifactId,
            strategy: 'rollback',
            actor: request.actor.name,
          },
          tx,
        );
        await tx
          .updateTable('deployments')
          .set({
            status: 'running',
            phase: 'starting',
            revision,
            previous_revision: live.revision,
            state_json: JSON.stringify({ host, keepWarmMs: 0 }),
          })
          .where('id', '=', d.id)
          .execute();
        if (!instant) {
          await this.deps.records.insertRevision(tx, {
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
        await this.deps.audit.append(
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
        progress(`starting ${previous.spec.instances} instance(s) of ${short(previous.artifactId)} again`);
        try {
          await this.deps.runtime.start({ ...previous.spec, revision }, progress);
        } catch (error) {
          await abandon(this.deps, plan, `rollback failed: ${(error as Error).message}`);
          throw new FlowlineError(
            'FLOWLINE_DEPLOY_FAILED',
            `Rollback of ${environment} failed: ${(error as Error).message}`,
            {
              hint: `${environment} still serves ${live.revision}.`,
            },
          );
        }
      }
      await this.deps.records.setPhase(deployment.id, 'switching');
      await switchTraffic(this.deps, plan, [{ revision, weight: 100 }]);
      await promote(this.deps, plan, 0);
      progress(
        `✔ ${environment} serves ${short(previous.artifactId)} again (${instant ? 'instant: it was warm' : 'restarted'})`,
      );
      await retireDue(this.deps);
      this.emit(
        'deployment.rolledBack',
        service,
        environment,
        deployment.id,
        `${environment} rolled back to ${short(previous.artifactId)}`,
      );
      return {
        deployment: await this.deployment(service, environment, deployment.id),
        host,
        url: this.deps.urlFor(host),
      };
    });
  }

  /**
   * Acts on the release under way in an environment: promote (past the current pause, or
   * `promoteFull` past every step), pause, resume, abort (all traffic back to stable at once).
   */
  async control(request: {
    service: string;
    environment: string;
    action: ControlAction;
    actor: Actor;
    where: Where;
  }): Promise<{ deploymentId: string }> {
    const key = `${request.service}/${request.environment}`;
    const release = this.releases.get(key);
    if (release === undefined) {
      throw new FlowlineError('FLOWLINE_NOT_FOUND', `No release is under way in ${request.environment}.`, {
        hint: 'See the latest deployments with `flowline deployments`; a finished or failed release cannot be promoted.',
      });
    }
    const { control } = release;
    switch (request.action) {
      case 'promote':
      case 'promoteFull':
        control.promote(request.action === 'promoteFull');
        break;
      case 'pause':
        control.pause();
        break;
      case 'resume':
        control.resume();
        break;
      case 'abort':
        control.abort(`aborted by ${request.actor.name}`);
        break;
    }
    await this.deps.audit.append({
      actor: request.actor,
      action: `release.${request.action}`,
      target: `env:${request.service}/${request.environment}`,
      where: request.where,
      details: { deployment: release.deploymentId },
    });
    this.emit(
      `release.${request.action}`,
      request.service,
      request.environment,
      release.deploymentId,
      `${request.action} by ${request.actor.name}`,
    );
    return { deploymentId: release.deploymentId };
  }

  private async environmentRecord(
    config: FlowlineConfig,
    name: string,
  ): Promise<EnvRecord & { serviceId: string }> {
    const service = await this.deps.catalog.getService(config.service);
    let record = await this.deps.catalog.findEnvironment(config.service, name);
    if (record === undefined) {
      const env = environmentConfig(config, name);
      if (env.ephemeral) {
        throw new FlowlineError(
          'FLOWLINE_DEPLOY_UNKNOWN_ENVIRONMENT',
          `\`${name}\` is a preview template, not an environment.`,
          {
            hint: 'Create a preview from it with `flowline env create --branch <branch>` (or `--pr <n>`).',
          },
        );
      }
      record = await this.deps.catalog.ensureEnvironment(config.service, name, 'persistent');
    }
    return { ...record, serviceId: service.id };
  }

  private async resolveArtifact(
    service: string,
    wanted: string | undefined,
    after: string | undefined,
  ): Promise<string> {
    const artifacts = await this.deps.catalog.listArtifacts({ service, limit: 1000 });
    if (wanted !== undefined) {
      const needle = wanted.startsWith('sha256:') ? wanted : `sha256:${wanted}`;
      const matches = artifacts.filter((a) => a.id.startsWith(needle));
      if (matches.length === 1 && matches[0] !== undefined) return matches[0].id;
      throw new FlowlineError(
        matches.length === 0 ? 'FLOWLINE_ARTIFACT_NOT_FOUND' : 'FLOWLINE_USAGE',
        matches.length === 0
          ? `No artifact of ${service} matches \`${wanted}\`.`
          : `\`${wanted}\` matches ${matches.length} artifacts.`,
        {
          hint: 'List them with `flowline artifacts --service ' + service + '` and give more of the digest.',
        },
      );
    }
    if (after !== undefined) {
      const record = await this.deps.catalog.findEnvironment(service, after);
      const live =
        record && (await this.deps.records.revisions({ environmentId: record.id, states: ['live'] }))[0];
      if (live !== undefined) return live.artifactId;
    }
    const newest = artifacts[0];
    if (newest === undefined) {
      throw new FlowlineError('FLOWLINE_ARTIFACT_NOT_FOUND', `Service ${service} has no artifact yet.`, {
        hint: 'Build one with `flowline run`.',
      });
    }
    return newest.id;
  }

  private async checkGates(
    service: string,
    environment: string,
    artifact: string,
    env: { protected: boolean; after?: string | undefined },
  ) {
    if (env.protected) await this.deps.assertTrunkGreen(service);
    if (env.after !== undefined) {
      const proven = await this.deps.catalog.listDeployments({
        service,
        environment: env.after,
        limit: 1000,
      });
      if (!proven.some((d) => d.artifactId === artifact && d.status === 'succeeded')) {
        throw new FlowlineError(
          'FLOWLINE_DEPLOY_GATE',
          `${environment} takes only artifacts that succeeded in ${env.after}; ${short(artifact)} has not.`,
          {
            hint: `Deploy it to ${env.after} first: flowline deploy ${env.after} --artifact ${short(artifact)}`,
          },
        );
      }
    }
  }

  /** Runs `fn` as the only deployment of an environment; a second caller is refused. */
  private async exclusive<T>(service: string, environment: string, fn: () => Promise<T>): Promise<T> {
    const key = `${service}/${environment}`;
    const refuse = (what: string) =>
      new FlowlineError('FLOWLINE_DEPLOY_IN_PROGRESS', `${what} to ${environment} is still under way.`, {
        hint: 'Wait for it to finish (flowline deployments), or abort it, then deploy again.',
      });
    // Claim first, then look at the store: two callers in this process can never both pass.
    if (this.busy.has(key)) throw refuse('Another deployment');
    this.busy.set(key, 'claimed');
    try {
      const recent = await this.deps.catalog.listDeployments({ service, environment, limit: 20 });
      const unfinished = recent.find((d) => d.status === 'running' || d.status === 'pending');
      if (unfinished !== undefined) throw refuse(`Deployment ${unfinished.id}`);
      return await fn();
    } finally {
      this.busy.delete(key);
    }
  }

  private async deployment(service: string, environment: string, id: string): Promise<Deployment> {
    const found = (await this.deps.catalog.listDeployments({ service, environment, limit: 50 })).find(
      (d) => d.id === id,
    );
    if (found === undefined)
      throw new FlowlineError('FLOWLINE_INTERNAL', `Deployment ${id} vanished from the store.`);
    return found;
  }

  /** Progress that is also written to the release's journal, in order. */
  private journaled(deploymentId: string, progress: (line: string) => void): (line: string) => void {
    let chain = Promise.resolve();
    return (line) => {
      progress(line);
      chain = chain.then(() => this.deps.records.journal(deploymentId, 'progress', line)).catch(() => {});
    };
  }

  private emit(type: string, service: string, environment: string, subject: string, message: string): void {
    this.deps.events.emit({
      type,
      at: this.deps.clock.now().toISOString(),
      service,
      environment,
      subject,
      message,
    });
  }
}

export function short(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
