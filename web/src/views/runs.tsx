import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, query } from '../api/client.js';
import { RUN_STATUSES, type RunRecord } from '../api/runs.js';
import { Loaded, StatusBadge } from '../components/status.js';
import { age, short, when } from '../format.js';
import { useResource } from '../live/resource.js';
import { CommitText, elapsed, useNow, WhereText } from './runs/common.js';
import './runs/runs.css';

const PAGE = 50;

interface Filters {
  readonly service?: string | undefined;
  readonly branch?: string | undefined;
  readonly status?: string | undefined;
}

/**
 * Pipeline runs, newest first, filtered by service, branch and status (kept in the URL). "More"
 * reads older pages with the API's `before` cursor; a live `run.*` event reloads every page
 * shown, so a run moving from one page to the next is never lost between them.
 */
export function Runs() {
  const { query: params, route, path } = useLocation();
  const filters: Filters = { service: params.service, branch: params.branch, status: params.status };
  const [pages, setPages] = useState(1);
  const runs = useResource(
    async (signal) => {
      const all: RunRecord[] = [];
      let before: string | undefined;
      for (let page = 0; page < pages; page++) {
        const answer = await api<{ runs: RunRecord[] }>(
          `/v1/runs${query({ ...filters, limit: PAGE, before })}`,
          { signal },
        );
        all.push(...answer.runs);
        if (answer.runs.length < PAGE) return { runs: all, more: false };
        before = answer.runs.at(-1)?.id;
      }
      return { runs: all, more: true };
    },
    [filters.service, filters.branch, filters.status, pages],
    (event) =>
      event.type.startsWith('run.') && (filters.service === undefined || event.service === filters.service),
  );

  const setFilter = (name: keyof Filters, value: string) => {
    setPages(1);
    route(`${path}${query({ ...filters, [name]: value.trim() })}`, true);
  };

  return (
    <section>
      <h1>Pipeline runs</h1>
      <form class="filters" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Service
          <input
            name="service"
            value={filters.service ?? ''}
            onChange={(e) => setFilter('service', e.currentTarget.value)}
          />
        </label>
        <label>
          Branch
          <input
            name="branch"
            value={filters.branch ?? ''}
            onChange={(e) => setFilter('branch', e.currentTarget.value)}
          />
        </label>
        <label>
          Status
          <select
            name="status"
            value={filters.status ?? ''}
            onChange={(e) => setFilter('status', e.currentTarget.value)}
          >
            <option value="">any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </form>
      <Loaded resource={runs} what="the runs">
        {(value) => (
          <>
            <RunsTable runs={value.runs} filtered={Object.values(filters).some((v) => v !== undefined)} />
            {value.more && (
              <button
                type="button"
                disabled={runs.kind === 'ready' && runs.refreshing}
                onClick={() => setPages((n) => n + 1)}
              >
                More (older runs)
              </button>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}

function RunsTable(props: { readonly runs: readonly RunRecord[]; readonly filtered: boolean }) {
  const now = useNow(props.runs.some((r) => r.finishedAt === null));
  if (props.runs.length === 0)
    return (
      <p>
        {props.filtered ? 'No run matches these filters.' : 'No run yet.'} Runs are recorded by{' '}
        <code>flowline run</code>.
      </p>
    );
  return (
    <div class="table-scroll">
      <table class="runs-table">
        <caption class="muted">Newest first</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Service</th>
            <th scope="col">Branch</th>
            <th scope="col">Commit</th>
            <th scope="col">Status</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
            <th scope="col">Artifact</th>
            <th scope="col">Where</th>
          </tr>
        </thead>
        <tbody>
          {props.runs.map((run) => (
            <tr key={run.id} data-testid={`run-row-${run.id}`}>
              <th scope="row">
                <a href={`/runs/${encodeURIComponent(run.id)}`}>
                  <code>{run.id}</code>
                </a>
              </th>
              <td>{run.service}</td>
              <td>{run.branch ?? <span class="muted">none</span>}</td>
              <td>
                <CommitText run={run} />
              </td>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td title={when(run.startedAt)}>{age(run.startedAt, now)}</td>
              <td>{elapsed(run.startedAt, run.finishedAt, now)}</td>
              <td>
                {run.artifactId === null ? (
                  <span class="muted">none</span>
                ) : (
                  <a href={`/runs/${encodeURIComponent(run.id)}#artifact`} title={run.artifactId}>
                    <code>{short(run.artifactId)}</code>
                  </a>
                )}
              </td>
              <td>
                <WhereText where={run.where} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
