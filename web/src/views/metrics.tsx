import { useMemo } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, query } from '../api/client.js';
import { DORA_KEYS, type DoraKey, type DoraReport, type DoraResult } from '../api/metrics.js';
import { Loaded } from '../components/status.js';
import type { LiveEvent } from '../live/events.js';
import { useResource } from '../live/resource.js';
import { BehindList, ScrollRegion } from './metrics-behind.js';
import { Chart } from './metrics-chart.js';
import { MetricsFilterForm, WindowLine } from './metrics-filters.js';
import {
  behindOf,
  clusterWords,
  KEY_LABELS,
  keyFigure,
  type MetricsFilters,
  metricsHref,
  metricsParams,
  readFilters,
  TREND_UNITS,
  trendValue,
  weekWindows,
} from './metrics-model.js';
import { CumulativeFlow, FlowStages, Incidents, QualityReportPanel, useFlow } from './metrics-panels.js';
import './metrics.css';

const WEEKS = 12;

/** Events after which the keys may have moved: a deployment ended, an incident changed. */
export function changesKeys(service: string | undefined) {
  return (event: LiveEvent) =>
    (service === undefined || event.service === service) &&
    (event.type === 'deployment.succeeded' ||
      event.type === 'deployment.failed' ||
      event.type === 'release.rolledback' ||
      event.type.startsWith('incident.'));
}

/**
 * Delivery metrics (`/delivery?service=&environment=production&since=30d`): the five DORA keys
 * with their clusters and weekly trends, the value stream, incidents and the quality plan's
 * report. Every figure opens onto the deployments, commits and incidents the API computed it from.
 */
export function Metrics() {
  const { query: params } = useLocation();
  const filters = readFilters(params);
  const key = metricsHref(filters);
  const dora = useResource(
    (signal) => api<DoraResult>(`/v1/metrics/dora${query(metricsParams(filters))}`, { signal }),
    [key],
    changesKeys(filters.service),
  );
  return (
    <section class="metrics">
      <h1>Delivery metrics{filters.service === undefined ? '' : ` of ${filters.service}`}</h1>
      <MetricsFilterForm key={key} filters={filters} />
      <p class="muted updating" aria-live="polite">
        {dora.kind === 'ready' && dora.refreshing ? 'Updating…' : ''}
      </p>
      <Loaded resource={dora} what="the DORA keys">
        {(result) =>
          filters.service === undefined ? (
            <Overview result={result} filters={filters} />
          ) : (
            <ServiceMetrics result={result} filters={filters} />
          )
        }
      </Loaded>
      <Incidents filters={filters} />
    </section>
  );
}

/** Every service of the environment, one row each: pick one for its trends and drill-downs. */
function Overview(props: { readonly result: DoraResult; readonly filters: MetricsFilters }) {
  const { result, filters } = props;
  if (result.services.length === 0)
    return <p>No service has an environment named {result.environment} yet.</p>;
  return (
    <>
      <WindowLine window={result.window} environment={result.environment} />
      <ScrollRegion label="Services">
        <table data-testid="metrics-services">
          <caption>
            Each service's keys; open a service for its trends, value stream, quality report and the ids
            behind every figure.
          </caption>
          <thead>
            <tr>
              <th scope="col">Service</th>
              {DORA_KEYS.map((k) => (
                <th scope="col" key={k}>
                  {KEY_LABELS[k]}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.services.map((report) => (
              <tr key={report.scope.service}>
                <th scope="row">
                  <a href={metricsHref({ ...filters, service: report.scope.service })}>
                    {report.scope.service}
                  </a>
                </th>
                {DORA_KEYS.map((k) => (
                  <td key={k}>
                    {keyFigure(k, report).value}
                    <br />
                    <span class="muted">{clusterWords(report[k].clusters)}</span>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </>
  );
}

function ServiceMetrics(props: { readonly result: DoraResult; readonly filters: MetricsFilters }) {
  const { result, filters } = props;
  const report = result.services[0];
  const flow = useFlow(filters);
  if (report === undefined) return <p>The server answered no report for {filters.service}.</p>;
  return (
    <>
      <WindowLine window={result.window} environment={result.environment} />
      <h2>The DORA keys</h2>
      <div class="cards dora-tiles">
        {DORA_KEYS.map((k) => (
          <KeyTile key={k} name={k} report={report} />
        ))}
      </div>
      <Trends filters={filters} />
      <h2>Where the lead time goes</h2>
      <Loaded resource={flow} what="the value stream">
        {(value) => <FlowStages result={value} />}
      </Loaded>
      <h2>Cumulative flow</h2>
      <Loaded resource={flow} what="the cumulative flow">
        {(value) => <CumulativeFlow result={value} />}
      </Loaded>
      <QualityReportPanel filters={filters} service={report.scope.service} />
    </>
  );
}

/** One key: its figure, what it is computed over, its clusters in words, its definition, its ids. */
function KeyTile(props: { readonly name: DoraKey; readonly report: DoraReport }) {
  const { name, report } = props;
  const key = report[name];
  const figure = keyFigure(name, report);
  return (
    <article class="card dora-tile" data-testid={`dora-${name}`}>
      <h3 title={key.definition}>{KEY_LABELS[name]}</h3>
      <p class="figure" data-testid={`dora-${name}-value`}>
        {figure.value}
      </p>
      <p class="muted">{figure.over}</p>
      <p data-testid={`dora-${name}-cluster`}>
        {key.clusters.map((c, i) => (
          <span key={c.report} title={c.reason}>
            {i > 0 && ' · '}
            {c.report}:{' '}
            <strong class={`cluster cluster-${c.cluster ?? 'none'}`}>{c.cluster ?? 'no cluster'}</strong>
          </span>
        ))}
      </p>
      <details>
        <summary>Definition and clusters</summary>
        <p>{key.definition}</p>
        <ul>
          {key.clusters.map((c) => (
            <li key={c.report}>
              {c.report}: {c.cluster ?? 'no cluster'} ({c.reason})
            </li>
          ))}
        </ul>
      </details>
      <BehindList
        testid={`behind-${name}`}
        figure={KEY_LABELS[name]}
        behind={behindOf(name, report)}
        service={report.scope.service}
        environment={report.scope.environment}
      />
    </article>
  );
}

interface WeekPoint {
  readonly from: string;
  readonly to: string;
  readonly report: DoraReport | undefined;
}

/**
 * Weekly trends. The API answers one window per request, so the page asks for each of the last
 * 12 weeks in parallel (bench/metrics-trend.js measures it on a realistic store).
 */
function Trends(props: { readonly filters: MetricsFilters }) {
  const { filters } = props;
  const href = metricsHref(filters);
  // The trend ends now (read once per filters, so a re-render asks nothing again), or at the
  // window's end when the URL gives it as a date.
  const end = useMemo(() => {
    const toDate = filters.to === undefined ? Number.NaN : Date.parse(filters.to);
    return Math.floor((Number.isNaN(toDate) ? Date.now() : toDate) / 60_000) * 60_000;
  }, [href]);
  const trend = useResource(
    async (signal): Promise<WeekPoint[]> => {
      const base = { ...metricsParams(filters), since: undefined };
      const answers = await Promise.all(
        weekWindows(end, WEEKS).map((w) =>
          api<DoraResult>(`/v1/metrics/dora${query({ ...base, from: w.from, to: w.to })}`, { signal }),
        ),
      );
      return answers.map((a) => ({ ...a.window, report: a.services[0] }));
    },
    [href, end],
    changesKeys(filters.service),
  );
  return (
    <>
      <h2>Weekly trends (last {WEEKS} weeks)</h2>
      <Loaded resource={trend} what="the weekly trends">
        {(weeks) => (
          <div class="trends">
            {DORA_KEYS.map((k) => (
              <TrendChart key={k} name={k} weeks={weeks} filters={filters} />
            ))}
          </div>
        )}
      </Loaded>
    </>
  );
}

function TrendChart(props: {
  readonly name: DoraKey;
  readonly weeks: readonly WeekPoint[];
  readonly filters: MetricsFilters;
}) {
  const { name, weeks, filters } = props;
  const values = weeks.map((w) => (w.report === undefined ? null : trendValue(name, w.report)));
  const data = useMemo(
    () => [weeks.map((w) => Date.parse(w.to) / 1000), values] as [number[], (number | null)[]],
    [weeks, name],
  );
  const series = useMemo(
    () => [{ label: TREND_UNITS[name], stroke: '#0a58ca', width: 2, points: { show: true } }],
    [name],
  );
  return (
    <figure class="card trend">
      <figcaption>
        <strong>{KEY_LABELS[name]}</strong> <span class="muted">({TREND_UNITS[name]}, per week)</span>
      </figcaption>
      <Chart
        testid={`dora-trend-${name}`}
        label={`${KEY_LABELS[name]}, ${TREND_UNITS[name]}, weekly: ${values.map((v) => (v === null ? 'none' : round(v))).join(', ')}`}
        data={data}
        series={series}
        yLabel={TREND_UNITS[name]}
        height={160}
      />
      <details>
        <summary>Weekly figures</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Week</th>
              <th scope="col">{KEY_LABELS[name]}</th>
            </tr>
          </thead>
          <tbody>
            {weeks.map((w) => (
              <tr key={w.from}>
                <th scope="row">
                  <a href={metricsHref({ ...filters, since: undefined, from: w.from, to: w.to })}>
                    {w.from.slice(0, 10)} → {w.to.slice(0, 10)}
                  </a>
                </th>
                <td>{w.report === undefined ? '—' : keyFigure(name, w.report).value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

const round = (v: number) => Math.round(v * 10) / 10;
