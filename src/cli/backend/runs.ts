import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { AndonChange } from '../../andon/index.js';
import { ARTIFACT_MEDIA_TYPE, type ArtifactStore } from '../../artifacts/index.js';
import type { Artifact, Run } from '../../catalog/index.js';
import { isFlowlineError } from '../../core/errors.js';
import type { CommitHistory } from '../../core/git.js';
import type { RemoteRunFinish, RemoteRunStart, SharedArtifactCache } from '../../pipeline/index.js';
import type { Measurement } from '../../quality/index.js';
import { download, type HttpTarget, request, upload } from './http.js';

/** A change to one stage, as `PATCH /v1/runs/{run}/stages/{stage}` takes it. */
export interface StageUpdate {
  readonly status: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly reason?: string | null;
}

/**
 * The calls `flowline run` makes to record a run on a server while it executes here: the run and
 * its stages as they move, each stage's log in batches as it grows (or whole, as a fallback),
 * heartbeats, the artifact, the outcome.
 */
export interface RunRecordClient {
  readonly server: string;
  start(run: RemoteRunStart): Promise<Run>;
  updateStage(runId: string, stage: string, update: StageUpdate): Promise<void>;
  /** Sends a log file as it is on disk (already masked by the runner); a missing file is no log. */
  uploadLog(runId: string, stage: string, file: string): Promise<void>;
  /** Appends whole log lines at `offset`; resolves with the offset of the next batch. */
  appendLog(runId: string, stage: string, offset: number, lines: string): Promise<{ offset: number }>;
  /** Tells the server the runner is alive while nothing else is sent. */
  heartbeat(runId: string): Promise<void>;
  /** Shas the service's next git walk may stop at (what the server recorded). */
  knownCommits(service: string): Promise<string[]>;
  /** Records the commits the run read from git. */
  recordHistory(runId: string, history: CommitHistory): Promise<void>;
  /** Records what the run measured for its quality plan. */
  recordQuality(runId: string, measurements: readonly Measurement[]): Promise<void>;
  /** Sends an artifact of the local store unless the server has it already; true when it was sent. */
  pushArtifact(
    local: ArtifactStore,
    digest: string,
    record: { service: string; cacheKey: string; commitSha: string | null },
  ): Promise<boolean>;
  finish(runId: string, outcome: RemoteRunFinish): Promise<{ run: Run; andon: AndonChange | null }>;
  /** The server's artifacts, as the build's shared cache. */
  readonly cache: SharedArtifactCache;
}

export function runRecordClient(target: HttpTarget): RunRecordClient {
  const enc = encodeURIComponent;
  const stagePath = (runId: string, stage: string) => `/v1/runs/${enc(runId)}/stages/${enc(stage)}`;
  const notFound = (error: unknown) => {
    if (isFlowlineError(error) && error.code === 'FLOWLINE_ARTIFACT_NOT_FOUND') return undefined;
    throw error;
  };
  return {
    server: target.base,
    start: async (run) => (await request<{ run: Run }>(target, 'POST', '/v1/runs', run)).run,
    updateStage: async (runId, stage, update) => {
      await request(target, 'PATCH', stagePath(runId, stage), update);
    },
    uploadLog: async (runId, stage, file) => {
      if ((await stat(file).catch(() => undefined)) === undefined) return;
      await upload(
        target,
        'PUT',
        `${stagePath(runId, stage)}/log`,
        createReadStream(file),
        'text/plain; charset=utf-8',
      );
    },
    appendLog: (runId, stage, offset, lines) =>
      upload<{ offset: number }>(
        target,
        'POST',
        `${stagePath(runId, stage)}/log?offset=${offset}`,
        Readable.from([Buffer.from(lines)]),
        'text/plain; charset=utf-8',
      ),
    heartbeat: async (runId) => {
      await request(target, 'POST', `/v1/runs/${enc(runId)}/heartbeat`);
    },
    knownCommits: async (service) =>
      (await request<{ shas: string[] }>(target, 'GET', `/v1/services/${enc(service)}/commits/known`)).shas,
    recordHistory: async (runId, history) => {
      await request(target, 'POST', `/v1/runs/${enc(runId)}/history`, history);
    },
    recordQuality: async (runId, measurements) => {
      await request(target, 'POST', `/v1/runs/${enc(runId)}/quality`, { measurements });
    },
    pushArtifact: async (local, digest, record) => {
      const known = await request(target, 'GET', `/v1/artifacts/${enc(digest)}`).catch(notFound);
      const params = new URLSearchParams({ service: record.service, cacheKey: record.cacheKey });
      if (record.commitSha !== null) params.set('commitSha', record.commitSha);
      if (known !== undefined) return false;
      await upload(
        target,
        'PUT',
        `/v1/artifacts/${enc(digest)}?${params}`,
        await local.pack(digest),
        ARTIFACT_MEDIA_TYPE,
      );
      return true;
    },
    finish: (runId, outcome) => request(target, 'POST', `/v1/runs/${enc(runId)}/finish`, outcome),
    cache: {
      name: `the server at ${target.base}`,
      async fetch(service, cacheKey, into) {
        const found = await request<{ artifact: Artifact }>(
          target,
          'GET',
          `/v1/artifacts/lookup?${new URLSearchParams({ service, cacheKey })}`,
        ).catch(notFound);
        if (found === undefined) return undefined;
        const { artifact } = found;
        // receive() checks the bytes against the digest: a corrupted download is never used.
        const { ref } = await into.receive(
          artifact.id,
          await download(target, `/v1/artifacts/${enc(artifact.id)}/content`),
        );
        return { ref, commitSha: artifact.commitSha, createdAt: artifact.createdAt };
      },
    },
  };
}
