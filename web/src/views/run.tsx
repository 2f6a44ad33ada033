import { useEffect } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, query } from '../api/client.js';
import type { RunDetail, StageRecord } from '../api/runs.js';
import { ErrorBox, Loaded, StatusBadge } from '../components/status.js';
import { age, when } from '../format.js';
import { useResource } from '../live/resource.js';
import { ArtifactDeployments } from './runs/artifact.js';
import { CommitText, elapsed, useNow, WhereText } from './runs/common.js';
import { StageGraph } from './runs/stage-graph.js';
import { StageLog } from './runs/stage-log.js';
import './runs/runs.css';

const FALLBACK_POLL_MS = 5000;

/**
 * One run: its stages as a graph with status and durations (ticking while they run), and the
 * selected stage's log (`?stage=test`, so the view can be shared), following it live.
 */
export function Run() {
  const { params } = useRoute();
  const runId = params.run ?? '';
  const detail = useResource(
    (signal) => api<RunDetail>(`/v1/runs/${encodeURIComponent(runId)}`, { signal }),
    [runId],
    (event) => event.type.startsWith('run.') && event.subject === runId,
  );
  // Runs recorded without the server hearing each step (a local `flowline run` on the server's
  // store, a run the reaper ends) send no event: while it runs, the page also asks every 5 s.
  const unfinished = detail.kind === 'ready' && detail.value.run.finishedAt === null;
  const { reload } = detail;
  useEffect(() => {
    if (!unfinished) return;
    const timer = setInterval(reload, FALLBACK_POLL_MS);
    return () => clearInterval(timer);
  }, [unfinished]);
  return (
    <section>
      <h1>
        Run <code>{runId}</code>
      </h1>
      <Loaded resource={detail} what="the run">
        {(value) => <RunBody detail={value} />}
      </Loaded>
    </section>
  );
}

function RunBody(props: { readonly detail: RunDetail }) {
  const { run, stages } = props.detail;
  const { query: params, route, path } = useLocation();
  const running = run.finishedAt === null || stages.some((s) => s.status === 'running');
  const now = useNow(running);
  const selected = stages.find((s) => s.name === params.stage);
  const select = (name: string) =>
    route(`${path}${query({ ...params, stage: name === params.stage ? undefined : name })}`, true);

  return (
    <>
      <dl class="run-facts">
        <dt>Status</dt>
        <dd>
          <span data-testid="run-status">
            <StatusBadge status={run.status} />
          </span>
        </dd>
        <dt>Service</dt>
        <dd>
          <a href={`/runs${query({ service: run.service })}`}>{run.service}</a>
        </dd>
        <dt>Branch</dt>
        <dd>
          {run.branch === null ? (
            <span class="muted">none</span>
          ) : (
            <a href={`/runs${query({ service: run.service, branch: run.branch })}`}>{run.branch}</a>
          )}
        </dd>
        <dt>Commit</dt>
        <dd>
          <CommitText run={run} />
        </dd>
        <dt>Started</dt>
        <dd title={when(run.startedAt)}>{age(run.startedAt, now)}</dd>
        <dt>Duration</dt>
        <dd>
          {elapsed(run.startedAt, run.finishedAt, now)}
          {run.finishedAt === null && <span class="muted"> (running)</span>}
        </dd>
        <dt>Where</dt>
        <dd>
          <WhereText where={run.where} />
        </dd>
      </dl>

      <h2>Stages</h2>
      {stages.length === 0 ? (
        <p>This run recorded no stage.</p>
      ) : (
        <StageGraph stages={stages} selected={selected?.name} now={now} onSelect={select} />
      )}

      {params.stage !== undefined && selected === undefined && (
        <ErrorBox error={new Error(`This run has no stage \`${params.stage}\`.`)} title="Unknown stage" />
      )}
      {selected === undefined ? (
        stages.length > 0 && <p class="hint">Select a stage to read its log.</p>
      ) : (
        <StagePanel runId={run.id} stage={selected} now={now} />
      )}

      <h2 id="artifact">Artifact</h2>
      {run.artifactId === null ? (
        <p class="muted">
          {run.finishedAt === null ? 'None yet: the run has not finished.' : 'This run recorded no artifact.'}
        </p>
      ) : (
        <ArtifactDeployments service={run.service} artifactId={run.artifactId} />
      )}
    </>
  );
}

function StagePanel(props: { readonly runId: string; readonly stage: StageRecord; readonly now: number }) {
  const { stage } = props;
  return (
    <section class="stage-panel" aria-labelledby="stage-heading">
      <h2 id="stage-heading">
        Stage <code>{stage.name}</code> <StatusBadge status={stage.status} />
      </h2>
      <dl class="run-facts">
        <dt>Duration</dt>
        <dd>{elapsed(stage.startedAt, stage.finishedAt, props.now)}</dd>
        {stage.exitCode !== null && (
          <>
            <dt>Exit code</dt>
            <dd>{stage.exitCode}</dd>
          </>
        )}
        {stage.signal !== null && (
          <>
            <dt>Signal</dt>
            <dd>{stage.signal}</dd>
          </>
        )}
        {stage.reason !== null && (
          <>
            <dt>Reason</dt>
            <dd>{stage.reason}</dd>
          </>
        )}
        {stage.needs !== null && (
          <>
            <dt>Needs</dt>
            <dd>{stage.needs.length === 0 ? 'nothing' : stage.needs.join(', ')}</dd>
          </>
        )}
      </dl>
      <StageLog runId={props.runId} stage={stage.name} running={stage.status === 'running'} />
    </section>
  );
}
