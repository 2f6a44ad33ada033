import os from 'node:os';
import type { AndonChange, TrunkRun } from '../andon/index.js';
import type { ArtifactStore } from '../artifacts/index.js';
import { type Actor, type AuditLog, detectWhere, type Env } from '../audit/index.js';
import type { Catalog } from '../catalog/index.js';
import type { FlowlineConfig, Step } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import type { FlowlineError } from '../core/errors.js';
import { type CommitHistory, readCommitHistory, readHeadCommit } from '../core/git.js';
import { HISTORY_MAX_COMMITS } from '../metrics/commits.js';
import type { Store } from '../store/index.js';
import { DockerExecutor } from './docker.js';
import { branchOf, pick, stepEnvironment } from './environment.js';
import { LocalProcessExecutor } from './executor.js';
import { acquireRunLock } from './lock.js';
import { stageLogPath } from './logs.js';
import { createMasker } from './mask.js';
import { type NodeContext, runNode } from './node.js';
import { buildPlan, finallyNode } from './plan.js';
import { type QualityRecorder, qualityProbe } from './quality.js';
import { createStageRecords, type StageRecords } from './records.js';
import { type Settled, schedule } from './schedule.js';
import { isTrunkRun } from './trunk.js';
import type {
  NodeResult,
  PlanNode,
  RunArtifact,
  RunCommit,
  RunObserver,
  RunOutcome,
  RunReport,
  SharedArtifactCache,
} from './types.js';

/** What the pipeline is built from (the composition root passes these). */
export interface PipelineDeps {
  readonly store: Store;
  readonly catalog: Catalog;
  readonly audit: AuditLog;
  readonly andon: { recordTrunkRun(run: TrunkRun): Promise<AndonChange> };
  readonly artifacts: ArtifactStore;
  readonly clock: Clock;
  /** Flowline's home: logs under `logs/`, the run lock under `locks/`. */
  readonly home: string;
  /** The invoking environment: PATH and friends, secret values, CI detection. */
  readonly env: Env;
  readonly hostname: string;
  /** Who runs it (the OS user, or the CI identity). */
  readonly actor: Actor;
  /** More values to mask in logs (the FLOWLINE_TOKEN of this process). */
  readonly extraSecrets?: readonly (string | undefined)[];
  /**
   * The trunk of the service's policy (null: the andon is off), seeded from `config` for a new
   * service: the store's policy decides which runs move the cord, not the file (ADR 0010).
   */
  readonly trunkOf: (config: FlowlineConfig) => Promise<string | null>;
  /** Time between SIGTERM and SIGKILL when a step is killed. Default 5 s. */
  readonly killGraceMs?: number;
  /** Records the quality plan's measurements (src/quality). */
  readonly quality: QualityRecorder;
}

/** One `flowline run`. */
export interface RunOptions {
  readonly config: FlowlineConfig;
  /** The text `config` was parsed from: sealed into the artifact (docs/adr/0010-trust-model.md). */
  readonly configText: string;
  /** The config file, recorded on the service. */
  readonly configPath: string;
  /** The repository root: steps run here. */
  readonly cwd: string;
  /** Run only these stages and what they need (`--stages`). */
  readonly only?: readonly string[] | undefined;
  readonly noCache?: boolean;
  /** Wait for another run's lock (default) or fail with FLOWLINE_RUN_LOCKED. */
  readonly wait?: boolean;
  /** Cancels the run (first Ctrl-C): running stages are killed, `finally` still runs. */
  readonly signal?: AbortSignal;
  /** Stops the `finally` steps too (second Ctrl-C). */
  readonly forceSignal?: AbortSignal;
  readonly observer?: RunObserver;
  /** Artifacts built on other machines (a Flowline server), tried before building here. */
  readonly shared?: SharedArtifactCache;
  /** Where the history walk may stop (the server's record); default the local catalog's. */
  readonly knownCommits?: (service: string) => Promise<string[]>;
}

export interface Pipeline {
  /** Runs the pipeline and records it; resolves with the report whether it passed or failed. */
  run(options: RunOptions): Promise<RunReport>;
  /** The recorded nodes of a run, in plan order (empty for an unknown run). */
  stages(runId: string): Promise<NodeResult[]>;
}

/**
 * The pipeline runner: plan → lock → record the run → build once and run the stages as a graph →
 * `finally` → record the outcome → update the andon cord (full runs on the trunk only).
 */
export function createPipeline(deps: PipelineDeps): Pipeline {
  const records = createStageRecords(deps);
  const local = new LocalProcessExecutor(
    deps.killGraceMs === undefined ? {} : { killGraceMs: deps.killGraceMs },
  );
  return {
    run: (options) => runPipeline(deps, records, local, options),
    stages: (runId) => records.list(runId),
  };
}

async function runPipeline(
  deps: PipelineDeps,
  records: StageRecords,
  local: LocalProcessExecutor,
  options: RunOptions,
): Promise<RunReport> {
  const { config, observer = {} } = options;
  const plan = buildPlan(config, options.only);
  const cleanup = finallyNode(config);
  const lock = await acquireRunLock(deps.home, {
    wait: options.wait ?? true,
    onWait: (holder) => observer.waiting?.(holder),
    signal: options.signal,
  });
  try {
    const head = await readHeadCommit(options.cwd);
    const branch = branchOf(head?.branch, deps.env);
    const commit: RunCommit | null = head === undefined ? null : { ...head, branch };
    const where = detectWhere(deps.env, deps.hostname, head?.sha);
    await deps.catalog.ensureService(config.service, options.configPath);
    const trunk = await deps.trunkOf(config);
    const run = await deps.catalog.startRun({
      service: config.service,
      ...(branch === null ? {} : { branch }),
      ...(head === undefined
        ? {}
        : { commit: { sha: head.sha, authorTime: head.authorTime, message: head.message } }),
      where,
    });
    // From here on the run is recorded: whatever goes wrong, it must not stay `running`.
    let finishRecorded = false;
    let artifactId: string | undefined;
    try {
      await lock.setRun(run.id);
      const nodes = cleanup === undefined ? plan : [...plan, cleanup];
      await records.plan(
        run.id,
        nodes.map((node) => ({
          name: node.name,
          kind: node.kind,
          needs: node.needs,
          logPath: stageLogPath(deps.home, run.id, node.name),
        })),
      );
      const only = options.only === undefined ? null : [...options.only];
      await deps.audit.append({
        actor: deps.actor,
        action: 'run.start',
        target: `run:${run.id}`,
        where,
        details: { service: config.service, branch, only },
      });
      // The commits new since the last recorded walk, read beside the stages (metrics' lead time).
      const walk = readHistory(deps, options, run.id, observer);
      observer.started?.({
        runId: run.id,
        service: config.service,
        commit,
        nodes,
        where,
        branch,
        only,
        startedAt: run.startedAt,
      });

      const runStart = new Date(run.startedAt).getTime();
      const mask = createMasker([
        ...config.secrets.map((name) => deps.env[name]),
        ...(deps.extraSecrets ?? []),
      ]);
      // Set by the build node, read by the stages that start after it (closures: hence an object).
      const made: { artifact: RunArtifact | null; error?: FlowlineError } = { artifact: null };
      let status: RunOutcome = 'succeeded';

      const envFor = (node: PlanNode, step: Step): Record<string, string> =>
        stepEnvironment({
          invoking: deps.env,
          secrets: config.secrets,
          declared:
            node.kind === 'build' ? [pick(deps.env, config.build.env), step.env] : [node.env, step.env],
          flowline: {
            FLOWLINE_RUN_ID: run.id,
            FLOWLINE_SERVICE: config.service,
            FLOWLINE_STAGE: node.name,
            FLOWLINE_COMMIT: head?.sha,
            FLOWLINE_BRANCH: branch ?? undefined,
            FLOWLINE_ARTIFACT: made.artifact?.digest,
            FLOWLINE_ARTIFACT_PATH: made.artifact?.path,
            FLOWLINE_RUN_STATUS: node.kind === 'finally' ? status : undefined,
          },
        });

      const record = async (name: string, patch: Parameters<StageRecords['update']>[2]) => {
        const recorded = await records.update(run.id, name, patch);
        observer.status?.(recorded);
      };
      const now = () => deps.clock.now().toISOString();
      const quality = qualityProbe({
        plan: config.quality,
        runId: run.id,
        cwd: options.cwd,
        recorder: deps.quality,
        onMeasured: (measurements) => observer.quality?.(measurements),
      });

      const nodeContext: NodeContext = {
        runId: run.id,
        runStart,
        home: deps.home,
        cwd: options.cwd,
        mask,
        local,
        containers: new DockerExecutor(local, options.cwd, deps.env),
        env: envFor,
        build: {
          service: config.service,
          build: config.build,
          config: options.configText,
          cwd: options.cwd,
          env: Object.fromEntries(config.build.env.map((name) => [name, deps.env[name]])),
          commitSha: head?.sha,
          noCache: options.noCache === true,
          ...(options.shared === undefined ? {} : { shared: options.shared }),
          artifacts: deps.artifacts,
          catalog: deps.catalog,
          db: deps.store.db,
        },
        onLine: (node, text, stored) => {
          observer.line?.(node, text);
          if (stored !== undefined) observer.logged?.(node, stored);
        },
      };

      const execute = async (node: PlanNode, signal: AbortSignal): Promise<Settled> => {
        await record(node.name, { status: 'running', startedAt: now() });
        const outcome = await runNode(nodeContext, node, signal);
        if (outcome.artifact !== undefined) {
          made.artifact = outcome.artifact;
          artifactId = outcome.artifact.digest;
        }
        if (outcome.error !== undefined) made.error ??= outcome.error;
        const final = outcome.cached === true ? 'cached' : outcome.status;
        await record(node.name, {
          status: final,
          finishedAt: now(),
          exitCode: outcome.exitCode,
          signal: outcome.signal,
          reason: outcome.reason,
        });
        if (node.kind !== 'finally')
          await quality.afterNode({ name: node.name, status: final, exitCode: outcome.exitCode });
        return { status: final, reason: outcome.reason ?? undefined };
      };

      {
        const writes: Promise<void>[] = [];
        const result = await schedule({
          nodes: plan,
          maxParallel: config.pipeline.maxParallel ?? os.availableParallelism(),
          cancelOnFailure: config.pipeline.cancelOnFailure,
          signal: options.signal,
          run: execute,
          onSettled: (node, settled) => {
            writes.push(record(node.name, { status: settled.status, reason: settled.reason ?? null }));
          },
        });
        await Promise.all(writes);
        status = result.failed ? 'failed' : result.cancelled ? 'cancelled' : 'succeeded';
        if (cleanup !== undefined) {
          const done = await execute(cleanup, options.forceSignal ?? new AbortController().signal);
          if (done.status !== 'succeeded' && status === 'succeeded') status = 'failed';
        }
      }

      await quality.atEnd();
      const history = await walk;
      const { artifact } = made;
      artifactId = artifact?.digest;
      const finished = await deps.catalog.finishRun(run.id, status, artifactId);
      finishRecorded = true;
      const stages = await records.list(run.id);
      const optional = new Set(plan.filter((node) => node.continueOnFailure).map((node) => node.name));
      const failedStages = stages
        .filter((s) => s.status === 'failed' && !optional.has(s.name))
        .map((s) => s.name);
      await deps.audit.append({
        actor: deps.actor,
        action: 'run.finish',
        target: `run:${run.id}`,
        where,
        details: {
          service: config.service,
          status,
          branch,
          artifact: artifact?.digest ?? null,
          failed: failedStages,
        },
      });
      if (isTrunkRun({ only, trunk, branch, status })) {
        await deps.andon.recordTrunkRun({
          service: config.service,
          runId: run.id,
          passed: status === 'succeeded',
          detail: failedStages.length === 0 ? 'the run failed' : `${failedStages.join(', ')} failed`,
          actor: deps.actor,
          where,
        });
      }
      const finishedAt = finished.finishedAt ?? now();
      const report: RunReport = {
        runId: run.id,
        service: config.service,
        status,
        commit,
        where,
        artifact,
        only,
        startedAt: run.startedAt,
        finishedAt,
        durationMs: new Date(finishedAt).getTime() - runStart,
        stages,
        history: history === undefined ? null : summary(history),
        quality: quality.measurements(),
        ...(made.error === undefined ? {} : { error: made.error.toJSON() }),
      };
      observer.finished?.(report);
      return report;
    } catch (error) {
      if (!finishRecorded) await deps.catalog.finishRun(run.id, 'failed', artifactId).catch(() => undefined);
      throw error;
    }
  } finally {
    await lock.release();
  }
}

/**
 * Reads and records the commits of this run that the store does not know yet. Commit facts are
 * metadata: when git or the record fails, the run goes on without them (the report says none).
 */
async function readHistory(
  deps: PipelineDeps,
  options: RunOptions,
  runId: string,
  observer: RunObserver,
): Promise<CommitHistory | undefined> {
  try {
    const service = options.config.service;
    const known = await (options.knownCommits ?? ((s: string) => deps.catalog.knownCommits(s)))(service);
    const history = await readCommitHistory(options.cwd, { known, max: HISTORY_MAX_COMMITS });
    if (history === undefined) return undefined;
    await deps.catalog.recordHistory(runId, history);
    observer.history?.(history);
    return history;
  } catch {
    return undefined;
  }
}

function summary(history: CommitHistory): NonNullable<RunReport['history']> {
  return {
    head: history.head,
    commits: history.commits.length,
    truncated: history.truncated,
    shallow: history.shallow,
  };
}
