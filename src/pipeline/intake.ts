import type { Readable } from 'node:stream';
import type { Andon, AndonChange } from '../andon/index.js';
import type { ArtifactStore } from '../artifacts/index.js';
import type { Actor, AuditLog, Where } from '../audit/index.js';
import type { Catalog, Run } from '../catalog/index.js';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { CommitHistory } from '../core/git.js';
import type { Measurement } from '../quality/index.js';
import type { RunRow, Store } from '../store/index.js';
import { createLogFiles } from './intake-logs.js';
import { readLogFrom, stageLogPath } from './logs.js';
import { createMasker } from './mask.js';
import type { QualityRecorder } from './quality.js';
import { createStageRecords, queuedStageRows, type StagePatch } from './records.js';
import { readRunnerState, recordRunner, touchRunner } from './runner-state.js';
import { isTrunkRun } from './trunk.js';
import type { NodeKind, NodeResult, RunOutcome } from './types.js';

/**
 * Runs recorded by a Flowline server for pipelines that executed elsewhere (a CI machine running
 * `flowline run` with FLOWLINE_URL). The run keeps the id and times the runner gave it, so the id
 * the CI log shows is the one `flowline logs` finds on the server. The server then holds what a
 * local run would: the run and stage records, the (already masked) stage logs, the artifact, the
 * andon cord and the audit trail, with the calling token as the actor.
 */

/** `run_` + 9 base-36 time digits + 16 hex: what `newId('run')` makes. */
export const RUN_ID = /^run_[0-9a-z]{9}[0-9a-f]{16}$/;

/** A run as it starts on the runner. */
export interface RemoteRunStart {
  readonly id: string;
  readonly service: string;
  readonly branch: string | null;
  readonly commit: { readonly sha: string; readonly authorTime: string; readonly message: string } | null;
  readonly where: Where;
  readonly startedAt: string;
  readonly nodes: readonly {
    readonly name: string;
    readonly kind: NodeKind;
    /** The stages it waits for (absent from older runners: the graph is then unknown). */
    readonly needs?: readonly string[] | undefined;
  }[];
  /**
   * `--stages`, so that a run whose runner stops reporting moves the andon cord as a finished
   * one would. Whether the run is on the trunk is the server's decision (its policy's trunk),
   * never the runner's.
   */
  readonly only?: readonly string[] | null;
  /** The flowline.yaml text the run uses: it seeds the policy of a service the server does not know yet. */
  readonly config?: string;
}

/** Who records a run: the actor for the audit trail and the token, which alone may update the run. */
export interface RunCaller {
  readonly actor: Actor;
  readonly tokenId: string;
}

/** How the run ended on the runner. */
export interface RemoteRunFinish {
  readonly status: RunOutcome;
  readonly finishedAt: string;
  /** The run's artifact, which must be stored on the server already. */
  readonly artifact: { readonly digest: string; readonly cacheKey: string } | null;
  /** `--stages`, or null for the whole pipeline. */
  readonly only: readonly string[] | null;
  /** Stages whose failure does not fail the run (`continueOnFailure`). */
  readonly optional: readonly string[];
}

export interface RunIntakeDeps {
  readonly store: Store;
  readonly catalog: Pick<Catalog, 'ensureService' | 'findRun' | 'recordArtifact' | 'recordHistory'>;
  readonly audit: AuditLog;
  readonly andon: Pick<Andon, 'recordTrunkRun'>;
  readonly artifacts: Pick<ArtifactStore, 'get'>;
  readonly clock: Clock;
  readonly quality: QualityRecorder;
  /** The server's home: stage logs go under `logs/<run>/`. */
  readonly home: string;
  /**
   * Announces `run.started`, `run.stage.updated` and `run.finished` once recorded, so a live
   * display follows a CI run without polling.
   */
  readonly events?: Pick<EventBus, 'emit'>;
  /**
   * The trunk of the service's policy (null: the andon is off), seeding the policy from the run's
   * flowline.yaml when the service has none yet (docs/adr/0010-trust-model.md).
   */
  readonly trunkOf: (
    service: string,
    config: string | undefined,
    by: { readonly actor: Actor; readonly where: Where },
  ) => Promise<string | null>;
}

export interface RunIntake {
  /**
   * Records a started run and its plan (idempotent for the same running run and token). Every
   * update below is refused (FLOWLINE_FORBIDDEN) unless it comes from the token that started it.
   */
  start(input: RemoteRunStart, by: RunCaller): Promise<Run>;
  /** Moves one stage of a running run on. */
  updateStage(runId: string, stage: string, patch: StagePatch, by: RunCaller): Promise<NodeResult>;
  /** Replaces a stage's log with the lines streamed in (masked again for tokens on the way). */
  writeLog(runId: string, stage: string, source: Readable, by: RunCaller): Promise<{ bytes: number }>;
  /**
   * Appends whole lines to a stage's log at a byte offset while the stage runs (see
   * LogFiles.append: a retried batch is not written twice, a gap is refused).
   */
  appendLog(
    runId: string,
    stage: string,
    offset: number,
    source: Readable,
    by: RunCaller,
  ): Promise<{ offset: number }>;
  /** Notes that the runner is alive while its stages run quietly (see reaper.ts). */
  heartbeat(runId: string, by: RunCaller): Promise<{ heardAt: string }>;
  /** Records the commits the runner read from git (src/metrics/commits.ts). */
  recordHistory(runId: string, history: CommitHistory, by: RunCaller): Promise<void>;
  /** Records what the runner measured for the run's quality plan (src/quality). */
  recordQuality(runId: string, measurements: readonly Measurement[], by: RunCaller): Promise<void>;
  /**
   * Records the outcome, the artifact and the andon cord; audited as `run.finish`. A run whose
   * stages did not all end, or whose required stages failed, cannot be recorded as succeeded.
   */
  finish(
    runId: string,
    input: RemoteRunFinish,
    by: RunCaller,
  ): Promise<{ run: Run; andon: AndonChange | null }>;
  /** A run with its stages; FLOWLINE_NOT_FOUND for an unknown id. */
  view(runId: string): Promise<{ run: Run; stages: NodeResult[] }>;
  /** Lines of a stage's log from a byte offset, at most `maxBytes` at once. */
  readLog(
    runId: string,
    stage: string,
    offset: number,
    maxBytes: number,
  ): Promise<{ lines: string[]; offset: number }>;
}

export function createRunIntake(deps: RunIntakeDeps): RunIntake {
  const { store, catalog, audit } = deps;
  const records = createStageRecords(deps);
  // The runner masked its secrets; tokens and bearer credentials are scrubbed here once more.
  const logs = createLogFiles(createMasker([]));

  const mustFind = async (runId: string): Promise<Run> => {
    const run = await catalog.findRun(runId);
    if (run === undefined) {
      throw new FlowlineError('FLOWLINE_NOT_FOUND', `No run has the id ${runId}.`, {
        hint: 'See the runs with `flowline runs`.',
      });
    }
    return run;
  };
  /**
   * The run, still running and recorded by this caller's token; every message about it from the
   * runner counts as a sign of life.
   */
  const mustRun = async (runId: string, by: RunCaller): Promise<Run> => {
    const run = await mustFind(runId);
    const state = await readRunnerState(store.db, runId);
    if (state === undefined || state.tokenId !== by.tokenId) {
      throw new FlowlineError(
        'FLOWLINE_FORBIDDEN',
        `Run ${runId} was ${state === undefined ? 'executed on the server itself' : 'recorded with another token'}; only the token that started a run may update it.`,
        { hint: 'Each `flowline run` records its own run; start a new one with `flowline run`.' },
      );
    }
    if (run.status !== 'running') {
      const reaped = state.reaped;
      if (reaped !== undefined) {
        throw new FlowlineError(
          'FLOWLINE_RUN_REAPED',
          `Run ${runId} was marked failed at ${reaped.at}: ${reaped.reason}.`,
          { hint: 'Nothing more is recorded for it; start a new run with `flowline run`.' },
        );
      }
      throw new FlowlineError('FLOWLINE_RUN_CONFLICT', `Run ${runId} has already finished (${run.status}).`, {
        hint: 'A finished run cannot be changed; start a new one with `flowline run`.',
      });
    }
    await store.write((tx) => touchRunner(tx, runId, deps.clock.now()));
    return run;
  };
  /** Tells live displays about a run once its record is committed. */
  const announce = (type: string, run: { service: string; id: string }, status: string, stage?: string) =>
    deps.events?.emit({
      type,
      at: deps.clock.now().toISOString(),
      service: run.service,
      subject: run.id,
      message: `${run.service} run ${run.id}${stage === undefined ? '' : ` stage ${stage}`}: ${status}`,
      data: { service: run.service, runId: run.id, ...(stage === undefined ? {} : { stage }), status },
    });
  const mustStage = async (runId: string, stage: string): Promise<NodeResult> => {
    const found = (await records.list(runId)).find((s) => s.name === stage);
    if (found === undefined) {
      throw new FlowlineError('FLOWLINE_NOT_FOUND', `Run ${runId} has no stage named ${stage}.`, {
        hint: 'The stages of a run are those it was started with.',
      });
    }
    return found;
  };

  return {
    async start(input, by) {
      const existing = await catalog.findRun(input.id);
      if (existing !== undefined) {
        if (existing.service === input.service && existing.status === 'running') return mustRun(input.id, by);
        throw new FlowlineError(
          'FLOWLINE_RUN_CONFLICT',
          `A run with the id ${input.id} is already recorded.`,
          {
            hint: 'Run ids are made by `flowline run`; start a new run instead of replaying an old one.',
          },
        );
      }
      await catalog.ensureService(input.service);
      const trunk = await deps.trunkOf(input.service, input.config, { actor: by.actor, where: input.where });
      const declared = { trunk, only: input.only === undefined ? null : input.only, tokenId: by.tokenId };
      await store.write(async (tx) => {
        const service = await tx
          .selectFrom('services')
          .select('id')
          .where('name', '=', input.service)
          .executeTakeFirstOrThrow();
        const row: RunRow = {
          id: input.id,
          service_id: service.id,
          status: 'running',
          branch: input.branch,
          commit_sha: input.commit?.sha ?? null,
          commit_author_time: input.commit?.authorTime ?? null,
          commit_message: input.commit?.message ?? null,
          artifact_id: null,
          where_json: JSON.stringify(input.where),
          started_at: input.startedAt,
          finished_at: null,
        };
        await tx.insertInto('runs').values(row).execute();
        // With the row: a run recorded as running always has a runner the reaper can judge.
        await recordRunner(tx, input.id, declared, deps.clock.now());
        if (input.nodes.length > 0) {
          const planned = input.nodes.map((node) => ({
            ...node,
            logPath: stageLogPath(deps.home, input.id, node.name),
          }));
          await tx.insertInto('run_stages').values(queuedStageRows(input.id, planned)).execute();
        }
        await audit.append(
          {
            actor: by.actor,
            action: 'run.start',
            target: `run:${input.id}`,
            where: input.where,
            details: { service: input.service, branch: input.branch, recorded: 'remote' },
          },
          tx,
        );
      });
      const started = await mustFind(input.id);
      announce('run.started', started, started.status);
      return started;
    },

    async updateStage(runId, stage, patch, by) {
      const run = await mustRun(runId, by);
      await mustStage(runId, stage);
      const updated = await records.update(runId, stage, patch);
      announce('run.stage.updated', run, updated.status, stage);
      return updated;
    },

    async writeLog(runId, stage, source, by) {
      await mustRun(runId, by);
      const found = await mustStage(runId, stage);
      return logs.replace(found.logPath ?? stageLogPath(deps.home, runId, stage), source);
    },

    async appendLog(runId, stage, offset, source, by) {
      await mustRun(runId, by);
      const found = await mustStage(runId, stage);
      return logs.append(found.logPath ?? stageLogPath(deps.home, runId, stage), offset, source);
    },

    async heartbeat(runId, by) {
      await mustRun(runId, by);
      return { heardAt: deps.clock.now().toISOString() };
    },

    async recordHistory(runId, history, by) {
      await mustRun(runId, by);
      await catalog.recordHistory(runId, history);
    },

    async recordQuality(runId, measurements, by) {
      await mustRun(runId, by);
      await deps.quality.record(runId, measurements);
    },

    async finish(runId, input, by) {
      const run = await mustRun(runId, by);
      if (input.artifact !== null) {
        const ref = await deps.artifacts.get(input.artifact.digest);
        if (ref === undefined) {
          throw new FlowlineError(
            'FLOWLINE_ARTIFACT_NOT_FOUND',
            `Run ${runId} names the artifact ${input.artifact.digest}, which this server does not store.`,
            { hint: 'Upload it first (PUT /v1/artifacts/{digest}); `flowline run` does that on its own.' },
          );
        }
        await catalog.recordArtifact({
          id: ref.digest,
          service: run.service,
          cacheKey: input.artifact.cacheKey,
          sizeBytes: ref.sizeBytes,
          ...(run.commitSha === null ? {} : { commitSha: run.commitSha }),
        });
      }
      const optional = new Set(input.optional);
      const stages = await records.list(runId);
      const failed = stages
        .filter((s) => (s.status === 'failed' || s.status === 'cancelled') && !optional.has(s.name))
        .map((s) => s.name);
      const unfinished = stages
        .filter((s) => s.status === 'queued' || s.status === 'running')
        .map((s) => s.name);
      if (input.status === 'succeeded' && (failed.length > 0 || unfinished.length > 0)) {
        throw new FlowlineError(
          'FLOWLINE_RUN_CONFLICT',
          `Run ${runId} cannot have succeeded: ${failed.length > 0 ? `${failed.join(', ')} failed` : `${unfinished.join(', ')} never finished`}.`,
          { hint: 'Record each stage as it ends; a run succeeds when its required stages did.' },
        );
      }
      await store.write(async (tx) => {
        await tx
          .updateTable('runs')
          .set({
            status: input.status,
            finished_at: input.finishedAt,
            artifact_id: input.artifact?.digest ?? null,
          })
          .where('id', '=', runId)
          .execute();
        await audit.append(
          {
            actor: by.actor,
            action: 'run.finish',
            target: `run:${runId}`,
            where: run.where,
            details: {
              service: run.service,
              status: input.status,
              branch: run.branch,
              artifact: input.artifact?.digest ?? null,
              failed,
              recorded: 'remote',
            },
          },
          tx,
        );
      });
      // The trunk is the one the server's policy named when the run started, not the runner's word.
      const trunk = isTrunkRun({
        only: input.only,
        trunk: (await readRunnerState(store.db, runId))?.trunk ?? null,
        branch: run.branch,
        status: input.status,
      });
      const andon = trunk
        ? await deps.andon.recordTrunkRun({
            service: run.service,
            runId,
            passed: input.status === 'succeeded',
            detail: failed.length === 0 ? 'the run failed' : `${failed.join(', ')} failed`,
            actor: by.actor,
            where: run.where,
          })
        : null;
      const finished = await mustFind(runId);
      announce('run.finished', finished, finished.status);
      return { run: finished, andon };
    },

    async view(runId) {
      return { run: await mustFind(runId), stages: await records.list(runId) };
    },

    async readLog(runId, stage, offset, maxBytes) {
      await mustFind(runId);
      const found = await mustStage(runId, stage);
      if (found.logPath === null) return { lines: [], offset };
      return readLogFrom(found.logPath, offset, maxBytes);
    },
  };
}
