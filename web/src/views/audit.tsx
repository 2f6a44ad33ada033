import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { AuditEventRecord, VerifyAnswer } from '../api/audit.js';
import { api, query } from '../api/client.js';
import { Loaded } from '../components/status.js';
import { age, plural, short, when } from '../format.js';
import { useResource } from '../live/resource.js';
import { isoToLocalInput, localInputToIso, summarizeDetails } from './audit/summary.js';
import './audit/audit.css';

const PAGE = 100;
const FILTERS = ['actor', 'action', 'target', 'since', 'until'] as const;
type FilterName = (typeof FILTERS)[number];

/**
 * The audit trail, newest first, filtered as `GET /v1/audit` allows (kept in the URL), with the
 * hash chain's verification at the top. Details are shown as the server gave them (redacted
 * there); "More" reads older pages by `before`, and a live `audit.appended` reloads every page shown.
 */
export function Audit() {
  const { query: params, route, path } = useLocation();
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params[f]])) as Record<
    FilterName,
    string | undefined
  >;
  const [pages, setPages] = useState(1);
  const events = useResource(
    async (signal) => {
      const all: AuditEventRecord[] = [];
      let before: number | undefined;
      for (let page = 0; page < pages; page++) {
        const answer = await api<{ events: AuditEventRecord[] }>(
          `/v1/audit${query({ ...filters, limit: PAGE, before })}`,
          { signal },
        );
        all.push(...answer.events);
        if (answer.events.length < PAGE) return { events: all, more: false };
        before = answer.events.at(-1)?.seq;
      }
      return { events: all, more: true };
    },
    [...FILTERS.map((f) => filters[f]), pages],
    (event) => event.type === 'audit.appended',
  );

  const setFilter = (name: FilterName, value: string | undefined) => {
    setPages(1);
    route(`${path}${query({ ...filters, [name]: value?.trim() })}`, true);
  };
  const filtered = FILTERS.some((f) => filters[f] !== undefined);

  return (
    <section>
      <h1>Audit trail</h1>
      <ChainStatus />
      <form class="filters" aria-label="Filter audit events" onSubmit={(e) => e.preventDefault()}>
        <label>
          Actor
          <input
            name="actor"
            value={filters.actor ?? ''}
            onChange={(e) => setFilter('actor', e.currentTarget.value)}
          />
        </label>
        <label>
          Action (prefix or glob)
          <input
            name="action"
            placeholder="e.g. env.*"
            value={filters.action ?? ''}
            onChange={(e) => setFilter('action', e.currentTarget.value)}
          />
        </label>
        <label>
          Target (prefix or glob)
          <input
            name="target"
            placeholder="e.g. run:"
            value={filters.target ?? ''}
            onChange={(e) => setFilter('target', e.currentTarget.value)}
          />
        </label>
        <label>
          Since
          <input
            type="datetime-local"
            name="since"
            value={isoToLocalInput(filters.since)}
            onChange={(e) => setFilter('since', localInputToIso(e.currentTarget.value))}
          />
        </label>
        <label>
          Until
          <input
            type="datetime-local"
            name="until"
            value={isoToLocalInput(filters.until)}
            onChange={(e) => setFilter('until', localInputToIso(e.currentTarget.value))}
          />
        </label>
        {filtered && (
          <button type="button" onClick={() => route(path, true)}>
            Clear filters
          </button>
        )}
      </form>
      <Loaded resource={events} what="the audit trail">
        {(value) => (
          <>
            <AuditTable events={value.events} filtered={filtered} />
            {value.more && (
              <button
                type="button"
                disabled={events.kind === 'ready' && events.refreshing}
                onClick={() => setPages((n) => n + 1)}
              >
                More (older events)
              </button>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}

/** Whether the hash chain is intact (`GET /v1/audit/verify`), checked again on each new event. */
function ChainStatus() {
  const verify = useResource(
    (signal) => api<VerifyAnswer>('/v1/audit/verify', { signal }),
    [],
    (event) => event.type === 'audit.appended',
  );
  const checking = verify.kind === 'loading' || (verify.kind === 'ready' && verify.refreshing);
  return (
    <div class="audit-verify" data-testid="audit-verify" role="status">
      <Loaded resource={verify} what="the chain's verification">
        {(answer) =>
          answer.ok ? (
            <p class="verify-ok">
              <strong>Verified</strong>: the hash chain of {answer.events.toLocaleString()} events is intact
              {answer.anchored === 0
                ? ' (checked internally: no saved head was given)'
                : `, and holds ${answer.anchored} saved heads`}
              . Head <code title={answer.headHash}>{short(answer.headHash, 12)}</code>.
            </p>
          ) : (
            <div class="verify-broken">
              <p>
                <strong>Broken</strong>: <code>{answer.code}</code> at event #{answer.firstBad.seq}
                {answer.firstBad.id !== undefined && (
                  <>
                    {' '}
                    (<code>{answer.firstBad.id}</code>)
                  </>
                )}
                : {answer.firstBad.problem}. Sound before it: {plural(answer.events, 'event')}.
              </p>
              <p>{answer.message}</p>
            </div>
          )
        }
      </Loaded>
      <button type="button" onClick={verify.reload} disabled={checking}>
        {checking ? 'Checking…' : 'Check again'}
      </button>
    </div>
  );
}

function AuditTable(props: { readonly events: readonly AuditEventRecord[]; readonly filtered: boolean }) {
  if (props.events.length === 0)
    return <p>{props.filtered ? 'No audit event matches these filters.' : 'No audit event yet.'}</p>;
  return (
    <div class="table-scroll">
      <table class="audit-table">
        <caption class="muted">Newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Where</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {props.events.map((event) => (
            <AuditRow key={event.seq} event={event} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AuditRow(props: { readonly event: AuditEventRecord }) {
  const { event } = props;
  const summary = summarizeDetails(event.details);
  const runTarget = /^run:(run_[0-9a-z]+)$/.exec(event.target)?.[1];
  return (
    <tr data-testid="audit-row" data-seq={event.seq}>
      <td>
        <time dateTime={event.at} title={when(event.at)}>
          {age(event.at)}
        </time>
      </td>
      <td>
        {event.actor.name} <span class="muted">({event.actor.kind})</span>
      </td>
      <td>
        <code>{event.action}</code>
      </td>
      <td class="audit-target">
        {runTarget === undefined ? (
          <code>{event.target}</code>
        ) : (
          <a href={`/runs/${runTarget}`}>
            <code>{event.target}</code>
          </a>
        )}
      </td>
      <td>
        {event.where.ci?.url !== undefined ? (
          <a href={event.where.ci.url} rel="noreferrer">
            {event.where.ci.provider}
          </a>
        ) : (
          (event.where.ci?.provider ?? event.where.host)
        )}
        {event.where.ci !== undefined && <span class="muted"> on {event.where.host}</span>}
      </td>
      <td class="audit-details">
        {summary === '' ? (
          <span class="muted">none</span>
        ) : (
          <details>
            <summary>{summary}</summary>
            <pre>{JSON.stringify(event.details, null, 2)}</pre>
          </details>
        )}
      </td>
    </tr>
  );
}
