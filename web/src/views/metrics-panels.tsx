import { useMemo, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { api, query } from '../api/client.js';
import { FLOW_STATES, type FlowResult, type Incident } from '../api/metrics.js';
import { Loaded, StatusBadge } from '../components/status.js';
import { age, duration, percent, when } from '../format.js';
import { useResource } from '../live/resource.js';
import { allows, useSignedIn } from '../session.js';
import { BehindList, ScrollRegion } from './metrics-behind.js';
import { Chart } from './metrics-chart.js';
import {
  deploymentHref,
  type MetricsFilters,
  metricsHref,
  metricsParams,
  STACK_ORDER,
  STAGE_LABELS,
  sortIncidents,
  stackedFlow,
} from './metrics-model.js';

export { QualityReportPanel } from './metrics-quality.js';

/** The value stream of the page's service and window; reloaded when a change moves a stage. */
export function useFlow(filters: MetricsFilters) {
  return useResource(
    (signal) => api<FlowResult>(`/v1/metrics/flow${query(metricsParams(filters))}`, { signal }),
    [metricsHref(filters)],
    (event) =>
      (filters.service === undefined || event.service === filters.service) &&
      (event.type === 'run.finished' ||
        event.type === 'deployment.started' ||
        event.type === 'deployment.succeeded' ||
        event.type === 'deployment.failed'),
  );
}

/** Median, p90 and share of each stage, with the share drawn as one stacked bar (labelled). */
export function FlowStages(props: { readonly result: FlowResult }) {
  const report = props.result.services[0];
  if (report === undefined) return <p>The server answered no value stream.</p>;
  const { stages, batchSizes, workInProgress, scope } = report;
  return (
    <div data-testid="flow-stages">
      {stages.count === 0 ? (
        <p>No change reached {scope.environment} in the window, so no stage has a time.</p>
      ) : (
        <>
          <p class="muted">
            Over {stages.count.toLocaleString()} changes that reached {scope.environment} in the window.
          </p>
          <div class="stage-bar" aria-hidden="true">
            {stages.stages
              .filter((s) => s.share > 0)
              .map((s, i) => (
                <span
                  key={s.stage}
                  class={`stage-part stage-${i % 6}`}
                  style={{ width: `${s.share * 100}%` }}
                  title={`${STAGE_LABELS[s.stage] ?? s.stage}: ${percent(s.share)}`}
                >
                  {s.share >= 0.08 ? (STAGE_LABELS[s.stage] ?? s.stage) : ''}
                </span>
              ))}
          </div>
          <table>
            <caption class="visually-hidden">Lead time by stage</caption>
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col">Median</th>
                <th scope="col">p90</th>
                <th scope="col">Share of lead time</th>
                <th scope="col">Changes with this stage</th>
              </tr>
            </thead>
            <tbody>
              {stages.stages.map((s) => (
                <tr key={s.stage} data-testid={`flow-stage-${s.stage}`}>
                  <th scope="row">{STAGE_LABELS[s.stage] ?? s.stage}</th>
                  <td>{duration(s.medianMs)}</td>
                  <td>{duration(s.p90Ms)}</td>
                  <td>{percent(s.share)}</td>
                  <td>{s.count.toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <BehindList
        testid="behind-flow"
        figure="the lead time by stage"
        behind={{ deployments: [], commits: stages.shas.map((id) => ({ id })), incidents: [] }}
        service={scope.service}
        environment={scope.environment}
      />
      <h3>Batch sizes</h3>
      <p>
        {batchSizes.count === 0
          ? 'No successful deployment finished in the window.'
          : `Median ${batchSizes.commits.median ?? '—'} commits (p90 ${batchSizes.commits.p90 ?? '—'}), ` +
            `median ${batchSizes.linesChanged.median ?? '—'} lines changed (p90 ${batchSizes.linesChanged.p90 ?? '—'}) ` +
            `over ${batchSizes.count.toLocaleString()} deployments` +
            (batchSizes.unknownCommits > 0
              ? `; ${batchSizes.unknownCommits} commits had no record and count 0 lines`
              : '')}
      </p>
      <BehindList
        testid="behind-batches"
        figure="the batch sizes"
        behind={{
          deployments: batchSizes.perDeployment.map((d) => ({
            id: d.deploymentId,
            note: `${d.commits} commits, ${d.linesChanged} lines`,
          })),
          commits: [],
          incidents: [],
        }}
        service={scope.service}
        environment={scope.environment}
      />
      <h3>Work in progress</h3>
      <p data-testid="flow-wip">
        {workInProgress.count.toLocaleString()} changes committed and not live in {scope.environment} at the
        window's end.
      </p>
      <BehindList
        testid="behind-wip"
        figure="the work in progress"
        behind={{ deployments: [], commits: workInProgress.shas.map((id) => ({ id })), incidents: [] }}
        service={scope.service}
        environment={scope.environment}
      />
    </div>
  );
}

const STATE_COLOURS: Readonly<Record<string, string>> = {
  production: '#116329',
  releasing: '#1f6feb',
  staging: '#8250df',
  tested: '#bf8700',
  testing: '#d4a72c',
  building: '#cf222e',
  committed: '#57606a',
};

/** Changes per state at each day's end, stacked (delivered at the bottom), and the same as a table. */
export function CumulativeFlow(props: { readonly result: FlowResult }) {
  const report = props.result.services[0];
  const days = report?.cumulativeFlow ?? [];
  const chart = useMemo(() => {
    const { x, stacked } = stackedFlow(days);
    const series: uPlot.Series[] = STACK_ORDER.map((state) => ({
      label: state,
      stroke: STATE_COLOURS[state] ?? '#000',
      fill: `${STATE_COLOURS[state] ?? '#000000'}55`,
      // The legend shows the state's own count, not the stacked height.
      value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) =>
        idx === null ? '—' : String(days[idx]?.counts[state] ?? '—'),
      points: { show: false },
    }));
    // Each band fills between a state's line and the one below it (series are 1-based in uPlot).
    const bands: uPlot.Band[] = STACK_ORDER.slice(1).map((_, i) => ({ series: [i + 2, i + 1] }));
    return { data: [x, ...stacked] as uPlot.AlignedData, series, bands };
  }, [days]);
  if (report === undefined) return <p>The server answered no cumulative flow.</p>;
  return (
    <figure class="card">
      <Chart
        testid="flow-cumulative"
        label={`Cumulative flow of ${report.scope.service} in ${report.scope.environment}, per day: changes in each state at the day's end (the table below has every figure)`}
        data={chart.data}
        series={chart.series}
        bands={chart.bands}
        yLabel="changes"
        height={260}
      />
      <details>
        <summary>Every day's counts</summary>
        <ScrollRegion label="Every day's counts">
          <table data-testid="flow-cumulative-table">
            <thead>
              <tr>
                <th scope="col">Day</th>
                {FLOW_STATES.map((s) => (
                  <th scope="col" key={s}>
                    {s}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr key={d.day}>
                  <th scope="row">{d.day}</th>
                  {FLOW_STATES.map((s) => (
                    <td key={s}>{d.counts[s]}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      </details>
    </figure>
  );
}

const INCIDENT_LIMIT = 100;

/** The environment's incidents, open first, each linked to the deployment or flag change behind it. */
export function Incidents(props: { readonly filters: MetricsFilters }) {
  const { filters } = props;
  const incidents = useResource(
    (signal) =>
      api<{ incidents: Incident[] }>(
        `/v1/incidents${query({ service: filters.service, environment: filters.environment, status: 'all', limit: INCIDENT_LIMIT })}`,
        { signal },
      ),
    [filters.service, filters.environment],
    (event) =>
      event.type.startsWith('incident.') &&
      (filters.service === undefined || event.service === filters.service),
  );
  // The API leaves out, rather than refuses, incidents of environments the token may not read:
  // an empty list would then read as "no incident", so the page says why there is none.
  const session = useSignedIn();
  if (!allows(session, 'read', filters.environment))
    return (
      <>
        <h2>Incidents</h2>
        <p class="notice" data-testid="incidents" data-state="out-of-scope">
          Your token may read {(session.environments ?? []).join(', ')} only, so the API lists no incident of{' '}
          {filters.environment}.
        </p>
      </>
    );
  return (
    <>
      <h2>Incidents</h2>
      <Loaded resource={incidents} what="the incidents">
        {({ incidents: list }) => (
          <IncidentTable
            list={list}
            environment={filters.environment}
            showService={filters.service === undefined}
          />
        )}
      </Loaded>
    </>
  );
}

/** How many rows show before "show all": open ones sort first, so they are always among them. */
const INCIDENTS_SHOWN = 20;

function IncidentTable(props: {
  readonly list: readonly Incident[];
  readonly environment: string;
  readonly showService: boolean;
}) {
  const { list, environment, showService } = props;
  const [all, setAll] = useState(false);
  if (list.length === 0)
    return (
      <div data-testid="incidents">
        <p>No incident in {environment}.</p>
      </div>
    );
  const sorted = sortIncidents(list);
  const shown = all ? sorted : sorted.slice(0, INCIDENTS_SHOWN);
  const unresolved = list.filter((i) => i.status !== 'resolved').length;
  return (
    <div data-testid="incidents">
      <p class="muted">
        {unresolved} unresolved; open first, then acknowledged, then resolved.{' '}
        {list.length === INCIDENT_LIMIT
          ? `The newest ${INCIDENT_LIMIT} of ${environment}.`
          : `All ${list.length} of ${environment}.`}
      </p>
      <ScrollRegion label="Incidents of the environment">
        <table>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Incident</th>
              {showService && <th scope="col">Service</th>}
              <th scope="col">Opened</th>
              <th scope="col">Resolved</th>
              <th scope="col">Cause</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((i) => (
              <IncidentRow key={i.id} incident={i} showService={showService} />
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      {shown.length < sorted.length && (
        <button type="button" class="link" onClick={() => setAll(true)}>
          Show all {sorted.length} ({sorted.length - shown.length} more)
        </button>
      )}
    </div>
  );
}

function IncidentRow(props: { readonly incident: Incident; readonly showService: boolean }) {
  const { incident: i } = props;
  return (
    <tr id={`incident-${i.id}`} data-testid={`incident-${i.id}`}>
      <td>
        <StatusBadge status={i.status} />
      </td>
      <th scope="row">
        {i.title}
        <br />
        <code class="muted">{i.id}</code>{' '}
        <span class="muted">
          from {i.source}, by {i.openedBy}
        </span>
      </th>
      {props.showService && <td>{i.service}</td>}
      <td title={when(i.openedAt)}>{age(i.openedAt)}</td>
      <td>
        {i.resolvedAt === null ? (
          <span class="muted">not yet</span>
        ) : (
          <span title={when(i.resolvedAt)}>
            after {duration(Date.parse(i.resolvedAt) - Date.parse(i.openedAt))}
            {i.resolvedBy === null ? '' : ` by ${i.resolvedBy}`}
          </span>
        )}
      </td>
      <td>
        {i.cause === null ? (
          <span class="muted">none recorded</span>
        ) : i.cause.kind === 'deployment' ? (
          <a href={deploymentHref(i.service, i.environment, i.cause.id)} data-testid="incident-deployment">
            deployment <code>{i.cause.id}</code>
          </a>
        ) : (
          <a href={`/flags/${encodeURIComponent(i.service)}/${encodeURIComponent(i.environment)}`}>
            flag change <code>{i.cause.id}</code>
          </a>
        )}
        {i.cause?.inferred === true && <span class="tag">inferred</span>}
      </td>
    </tr>
  );
}
