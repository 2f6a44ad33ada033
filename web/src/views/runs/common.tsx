import { useEffect, useState } from 'preact/hooks';
import type { RunRecord } from '../../api/runs.js';
import { duration, short } from '../../format.js';

/** The current time, re-read every `everyMs` while `active`: durations of running work tick. */
export function useNow(active: boolean, everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs]);
  return now;
}

/** Time from start to finish, or to `now` while it has not finished (shown as still running). */
export function elapsed(startedAt: string | null, finishedAt: string | null, now: number): string {
  if (startedAt === null) return '—';
  const start = Date.parse(startedAt);
  const end = finishedAt === null ? now : Date.parse(finishedAt);
  if (Number.isNaN(start) || Number.isNaN(end)) return '—';
  return duration(Math.max(0, end - start));
}

/** The run's commit: short sha with its subject as a title, and the CI job when a CI ran it. */
export function CommitText(props: { readonly run: RunRecord }) {
  const { run } = props;
  if (run.commitSha === null) return <span class="muted">no commit</span>;
  const subject = run.commitMessage?.split('\n')[0] ?? '';
  return (
    <span>
      <code title={run.commitSha}>{short(run.commitSha)}</code>
      {subject !== '' && <span class="run-subject"> {subject}</span>}
    </span>
  );
}

/** Where it ran: the CI job's page when the CI gave one, else the host name. */
export function WhereText(props: { readonly where: RunRecord['where'] }) {
  const { ci, host } = props.where;
  if (ci?.url !== undefined)
    return (
      <a href={ci.url} rel="noreferrer">
        {ci.provider}
        {ci.runId !== undefined && ` #${ci.runId}`}
      </a>
    );
  return <span>{ci === undefined ? host : `${ci.provider} on ${host}`}</span>;
}
