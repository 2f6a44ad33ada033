/** The run answers of docs/api.md#runs-logs-andon-and-artifacts, as the runs views read them. */

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type StageStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'cached';

/** Where a run ran: the host, and the CI job when one started it. */
export interface RunWhere {
  readonly host: string;
  readonly ci?: { readonly provider: string; readonly runId?: string; readonly url?: string };
  readonly commit?: string;
}

/** A run of `GET /v1/runs` and `GET /v1/runs/{run}`. */
export interface RunRecord {
  readonly id: string;
  readonly service: string;
  readonly status: string;
  readonly branch: string | null;
  readonly commitSha: string | null;
  readonly commitAuthorTime: string | null;
  readonly commitMessage: string | null;
  readonly artifactId: string | null;
  readonly where: RunWhere;
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

/** A stage of a run, as `GET /v1/runs/{run}` answers it. */
export interface StageRecord {
  readonly name: string;
  readonly kind: 'build' | 'stage' | 'finally';
  readonly status: StageStatus;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly reason: string | null;
  /** The stages it waited for; null when the runner did not record them. */
  readonly needs: readonly string[] | null;
}

export interface RunDetail {
  readonly run: RunRecord;
  readonly stages: readonly StageRecord[];
}

/** A page of a stage's log: whole lines, and the byte offset to ask for next. */
export interface LogPage {
  readonly lines: readonly string[];
  readonly offset: number;
}

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
