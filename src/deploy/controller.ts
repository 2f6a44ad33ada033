import type { Actor, Where } from '../audit/index.js';
import type { Principal } from '../auth/index.js';
import type { Deployment } from '../catalog/index.js';
import type { Strategy } from '../config/index.js';
import { FlowlineError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { admit } from './admission.js';
import {
  type DeployControllerDeps,
  type DeployOutcome,
  type DeployRequest,
  type ReleaseProgress,
  type ResumePoint,
  type Rollout,
  type RolloutOutcome,
  SYSTEM_ACTOR,
} from './deps.js';
import { revisionName, revisionSpec, short } from './plan.js';
import { type RecoveryReport, recover } from './recovery.js';
import { ActiveReleases, abortableSleep, type ControlAction } from './release-control.js';
import { type RollbackRequest, rollBack, rollbackTarget } from './rollback.js';
import { runRollout } from './rollout.js';

/**
 * Turns an artifact into a running, routed revision with the environment's strategy, after the
 * gates (trunk green for protected environments, the same artifact proven in the predecessor).
 * One deployment per environment at a time: a second request is refused, never interleaved.
 * The controller owns that exclusivity and the audit/event trail; the work itself lives in
 * rollout.ts (deploy), rollback.ts, gates.ts and release-control.ts (acting on a running release).
 */
export class DeployController {
  private readonly busy = new Map<string, 'claimed'>();
  private readonly releases: ActiveReleases;

  constructor(private readonly deps: DeployControllerDeps) {
    this.releases = new ActiveReleases(() => deps.clock.now().getTime());
  }

  async deploy(request: DeployRequest): Promise<DeployOutcome> {
    const { service, environment } = request;
    const actor = request.principal.actor;
    const progress = request.onProgress ?? (() => {});
    const admitted = await admit(this.deps, request);
    const { artifact, config, env, record, host } = admitted;
    for (const note of admitted.notes) progress(`note: ${note}`);

    return this.exclusive(service, environment, async () => {
      const live = (await this.deps.records.revisions({ environmentId: record.id, states: ['live'] }))[0];
      const nonce = newId('r', this.deps.clock.now());
      const revision = revisionName(artifact, nonce);
      const spec = revisionSpec({
        config,
        environment,
        env,
        revision,
        artifact,
        workdir: admitted.workdir,
        secretScope: admitted.secretScope,
      });
      const chosen: Strategy = record.kind === 'ephemeral' ? { kind: 'allAtOnce' } : env.strategy;
      const strategy = chosen.kind;
      const keepWarmMs =
        strategy === 'blueGreen' && env.strategy.kind === 'blueGreen' ? env.strategy.scaleDownDelay : 0;

      const deployment = await this.deps.store.write(async (tx) => {
        const d = await this.deps.catalog.startDeployment(
          {
            service,
            environment,
            artifactId: artifact,
            strategy,
            actor: actor.name,
            ...(request.hotfix === true ? { unplannedReason: 'hotfix' as const } : {}),
          },
          tx,
        );
        await this.deps.records.markStarting(tx, d.id, {
          revision,
          previousRevision: live?.revision ?? null,
          host,
          keepWarmMs,
          progressDeadlineMs: env.progressDeadline,
          plan: { strategy: chosen, analysisTemplates: config.analysis.templates },
        });
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
            actor,
            action: 'deploy.start',
            target: `env:${service}/${environment}`,
            where: request.where,
            details: {
              deployment: d.id,
              artifact,
              strategy,
              revision,
              ...(request.hotfix === true ? { hotfix: true } : {}),
            },
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
        strategy: chosen,
        keepWarmMs,
        progressDeadlineMs: env.progressDeadline,
        analysisTemplates: config.analysis.templates,
        startedAt: this.deps.clock.now(),
        smoke: config.run?.smoke ?? [],
      };
      const outcome = await this.release(rollout, progress, { actor, where: request.where });
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
      return {
        deployment: final,
        host,
        url: this.deps.urlFor(host),
        config: { sha256: admitted.configSha256 },
      };
    });
  }

  /**
   * Ends what a killed Flowline left under way (see recovery.ts), once at start after the runtime
   * adopted its instances. A canary that can carry on is resumed in the background, where
   * `control` (promote, pause, resume, abort) and `flowline release status` reach it as any other.
   */
  async recover(options: { where: Where; log?: (line: string) => void }): Promise<RecoveryReport> {
    const log = options.log ?? (() => {});
    return recover(this.deps, log, async (resumed) => {
      const r = resumed.rollout;
      await this.deps.records.journal(r.deploymentId, 'decision', resumed.note);
      await this.deps.audit.append({
        actor: SYSTEM_ACTOR,
        action: 'deploy.resume',
        target: `env:${r.service}/${r.environment}`,
        where: options.where,
        details: {
          deployment: r.deploymentId,
          revision: r.revision,
          ...(resumed.from === 'postAnalysis' ? { analysis: 'post-promotion' } : { step: resumed.from.step }),
        },
      });
      this.emit('release.resumed', r.service, r.environment, r.deploymentId, resumed.note);
      // Not awaited: the release runs as long as its pauses and analysis say, like a deploy does.
      this.exclusive(
        r.service,
        r.environment,
        () =>
          this.release(
            r,
            () => {},
            { actor: SYSTEM_ACTOR, where: options.where },
            resumed.from,
            resumed.paused,
          ),
        true,
      ).then(
        (outcome) =>
          log(`deployment ${r.deploymentId}: ${outcome.ok ? 'succeeded' : `failed: ${outcome.reason}`}`),
        (error: unknown) => log(`deployment ${r.deploymentId}: resuming failed: ${String(error)}`),
      );
    });
  }

  /**
   * Checks that `principal` may change what runs in an environment (deploy, roll back, act on a
   * release): the role its policy asks (`deployRole`; a preview: its template's), with the
   * environment in the token's scope. Without a policy for the service, the `deploy` role.
   */
  async authorizeEnvironment(principal: Principal, service: string, environment: string): Promise<void> {
    const policy = await this.deps.policies.get(service);
    const record = await this.deps.catalog.findEnvironment(service, environment);
    const role =
      policy === undefined
        ? 'deploy'
        : record?.kind === 'ephemeral'
          ? (Object.values(policy.environments).find((e) => e.ephemeral)?.deployRole ?? 'deploy')
          : (policy.environments[environment]?.deployRole ?? 'deploy');
    this.deps.authorize(principal, role, environment);
  }

  /** The URL users reach `host` at through the router (with its port unless it is 80). */
  urlFor(host: string): string {
    return this.deps.urlFor(host);
  }

  /**
   * Returns an environment to its previous good artifact at once: no analysis, no rebuild. A
   * revision still warm from the last blue-green switch takes traffic back instantly; otherwise
   * the previous artifact is started again from the spec it ran with, then switched to.
   */
  async rollback(request: RollbackRequest): Promise<DeployOutcome> {
    const { service, environment } = request;
    const target = await rollbackTarget(this.deps, service, environment);
    return this.exclusive(service, environment, async () => {
      const done = await rollBack(this.deps, request, target);
      this.emit(
        'deployment.rolledBack',
        service,
        environment,
        done.deploymentId,
        `${environment} rolled back to ${short(done.artifact)}`,
      );
      return {
        deployment: await this.deployment(service, environment, done.deploymentId),
        host: done.host,
        url: this.deps.urlFor(done.host),
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
    const deploymentId = this.releases.act(
      request.service,
      request.environment,
      request.action,
      request.actor.name,
    );
    if (request.action === 'pause' || request.action === 'resume')
      await this.deps.records.setPaused(deploymentId, request.action === 'pause');
    await this.deps.audit.append({
      actor: request.actor,
      action: `release.${request.action}`,
      target: `env:${request.service}/${request.environment}`,
      where: request.where,
      details: { deployment: deploymentId },
    });
    this.emit(
      `release.${request.action}`,
      request.service,
      request.environment,
      deploymentId,
      `${request.action} by ${request.actor.name}`,
    );
    return { deploymentId };
  }

  /**
   * Runs a rollout as a release that `control` can act on, then journals, audits and announces
   * its outcome. `resumeAt`: a canary carried on after a restart (see resume.ts).
   */
  private async release(
    rollout: Rollout,
    progress: (line: string) => void,
    by: { actor: Actor; where: Where },
    resumeAt?: ResumePoint,
    paused = false,
  ): Promise<RolloutOutcome> {
    const { service, environment, deploymentId, revision } = rollout;
    const artifact = rollout.spec.artifact;
    const journaled = this.journaled(deploymentId, progress);
    const outcome = await this.releases.track(service, environment, deploymentId, (control) => {
      if (paused) {
        control.pause();
        journaled(
          'still paused, as a person paused it before the restart: `flowline release resume` carries on',
        );
      }
      return runRollout(
        {
          ...this.deps,
          sleep: this.deps.sleep ?? abortableSleep,
          announce: (type, message) => this.emit(type, service, environment, deploymentId, message),
        },
        rollout,
        control,
        journaled,
        resumeAt,
      );
    });
    await this.deps.records.journal(
      deploymentId,
      'decision',
      outcome.ok ? 'succeeded' : `failed: ${outcome.reason}`,
    );
    await this.deps.audit.append({
      actor: by.actor,
      action: outcome.ok ? 'deploy.succeed' : 'deploy.fail',
      target: `env:${service}/${environment}`,
      where: by.where,
      details: {
        deployment: deploymentId,
        artifact,
        revision,
        ...(outcome.ok ? {} : { reason: outcome.reason }),
      },
    });
    this.emit(
      outcome.ok ? 'deployment.succeeded' : 'deployment.failed',
      service,
      environment,
      deploymentId,
      outcome.ok ? `${environment} now serves ${short(artifact)}` : outcome.reason,
    );
    return outcome;
  }

  /**
   * Runs `fn` as the only deployment of an environment; a second caller is refused. `resumed`:
   * `fn` carries on a deployment the store shows as running (after a restart, before the API
   * opens), so the store is not asked and `fn` starts at once, reachable by `control` on return.
   */
  private async exclusive<T>(
    service: string,
    environment: string,
    fn: () => Promise<T>,
    resumed = false,
  ): Promise<T> {
    const key = `${service}/${environment}`;
    const refuse = (what: string) =>
      new FlowlineError('FLOWLINE_DEPLOY_IN_PROGRESS', `${what} to ${environment} is still under way.`, {
        hint: 'Wait for it to finish (flowline deployments), or abort it, then deploy again.',
      });
    // Claim first, then look at the store: two callers in this process can never both pass.
    if (this.busy.has(key)) throw refuse('Another deployment');
    this.busy.set(key, 'claimed');
    try {
      if (!resumed) {
        const recent = await this.deps.catalog.listDeployments({ service, environment, limit: 20 });
        const unfinished = recent.find((d) => d.status === 'running' || d.status === 'pending');
        if (unfinished !== undefined) throw refuse(`Deployment ${unfinished.id}`);
      }
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

  /** Progress that is also written to the release's journal, in order, each line once. */
  private journaled(deploymentId: string, progress: (line: string) => void): ReleaseProgress {
    let chain = Promise.resolve();
    return (line, entry) => {
      progress(line);
      const write =
        entry === undefined
          ? () => this.deps.records.journal(deploymentId, 'progress', line)
          : () => this.deps.records.journal(deploymentId, entry.kind, entry.message, entry.data);
      chain = chain.then(write).catch(() => {});
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
