import type { JournalLine, MetricSeries, ReleaseAnswer } from '../../api/envrel.js';
import { TimeChart } from '../../components/chart.js';
import { StatusBadge } from '../../components/status.js';
import { duration, short, when } from '../../format.js';
import { splitOf, stepPosition, stepText, thresholdOf } from './logic.js';

/** Where the release stands: its steps with the current one marked, and the traffic split now. */
export function StepsAndWeights(props: { readonly release: ReleaseAnswer }) {
  const { release } = props;
  const { strategy, step } = release;
  const position = stepPosition(strategy, step);
  const underway = release.phase !== null;
  // During a release the route holds the stable and the new revision: say which is which in words.
  const split = splitOf(release.traffic, release.previousRevision);
  return (
    <section aria-labelledby="steps-heading" data-testid="release-weights">
      <h2 id="steps-heading">Steps and traffic</h2>
      <p>
        Strategy <strong>{strategy?.kind ?? release.deployment.strategy}</strong>
        {underway && (
          <>
            {' '}
            · phase <StatusBadge status={release.phase} />
          </>
        )}
        {position !== null && underway && <> · {position}</>}
        {release.weight !== null && underway && <> · canary weight {release.weight}%</>}
        {release.paused && underway && (
          <>
            {' '}
            · <StatusBadge status="paused" />
          </>
        )}
      </p>
      {strategy?.kind === 'canary' && (
        <ol class="steps">
          {strategy.steps.map((s, i) => {
            const state =
              step === null || !underway ? 'quiet' : i < step ? 'done' : i === step ? 'now' : 'next';
            return (
              <li key={i} class={`step step-${state}`} aria-current={state === 'now' ? 'step' : undefined}>
                {stepText(s, duration)}
                {state === 'now' && <span class="muted"> (now)</span>}
                {state === 'done' && <span class="muted"> (done)</span>}
              </li>
            );
          })}
        </ol>
      )}
      {release.traffic.length === 0 ? (
        <p class="muted">No route: this environment takes no traffic.</p>
      ) : (
        <table class="split">
          <caption>Traffic split now</caption>
          <thead>
            <tr>
              <th scope="col">Revision</th>
              <th scope="col">Share</th>
            </tr>
          </thead>
          <tbody>
            {(split.length > 0 ? split : release.traffic).map((b) => (
              <tr key={b.revision}>
                <th scope="row">
                  <code>{b.revision}</code>
                  {'role' in b && <span class="muted"> ({b.role})</span>}
                </th>
                <td>
                  <span
                    class="bar"
                    style={{ width: `${Math.max(0, Math.min(100, b.weight))}%` }}
                    aria-hidden="true"
                  />{' '}
                  {b.weight}%
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Each analysis metric charted over time, canary beside baseline, with the condition it is held to. */
export function AnalysisCharts(props: { readonly analysis: readonly MetricSeries[] }) {
  return (
    <section aria-labelledby="analysis-heading">
      <h2 id="analysis-heading">Analysis</h2>
      {props.analysis.length === 0 ? (
        <p class="muted">No measurement was taken in this release.</p>
      ) : (
        props.analysis.map((m) => <MetricChart key={`${m.template}/${m.metric}`} series={m} />)
      )}
    </section>
  );
}

function MetricChart(props: { readonly series: MetricSeries }) {
  const m = props.series;
  const times = m.points.map((p) => Date.parse(p.at));
  const series = [
    { name: 'canary', values: m.points.map((p) => p.value) },
    ...(m.points.some((p) => p.baseline !== null)
      ? [{ name: 'baseline', values: m.points.map((p) => p.baseline) }]
      : []),
    ...limitSeries('success limit', thresholdOf(m.successCondition), m.points.length, '#116329'),
    ...limitSeries('failure limit', thresholdOf(m.failureCondition), m.points.length, '#a40e26'),
  ];
  const last = m.points[m.points.length - 1];
  return (
    <article class="metric" data-testid="measurement-chart" data-metric={m.metric}>
      <h3>
        {m.template} / {m.metric} {last !== undefined && <StatusBadge status={last.phase} />}
      </h3>
      <p class="muted">
        {m.successCondition !== null && (
          <>
            succeeds when <code>{m.successCondition}</code>
          </>
        )}
        {m.successCondition !== null && m.failureCondition !== null && '; '}
        {m.failureCondition !== null && (
          <>
            fails when <code>{m.failureCondition}</code>
          </>
        )}
        {m.successCondition === null &&
          m.failureCondition === null &&
          'condition not recorded for this release'}
      </p>
      <TimeChart label={`${m.template}/${m.metric}`} times={times} series={series} format={compact} />
      <details>
        <summary>Measurements ({m.points.length})</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Judged</th>
              <th scope="col">Canary</th>
              <th scope="col">Baseline</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {m.points.map((p) => (
              <tr key={p.index}>
                <td>{p.index}</td>
                <td>{when(p.at)}</td>
                <td>{p.value === null ? '—' : compact(p.value)}</td>
                <td>{p.baseline === null ? '—' : compact(p.baseline)}</td>
                <td>
                  <StatusBadge status={p.phase} /> {p.message}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </article>
  );
}

/** A simple condition's limit as a flat dotted line, so each measurement is seen against it. */
function limitSeries(name: string, limit: number | null, length: number, color: string) {
  if (limit === null) return [];
  return [{ name, values: Array.from({ length }, () => limit), color, dash: [2, 4] }];
}

/** A number short enough for an axis: 4 significant digits. */
function compact(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

/** What happened and why, oldest first: steps, measurements and decisions. */
export function Journal(props: { readonly journal: readonly JournalLine[]; readonly deploymentId: string }) {
  return (
    <section aria-labelledby="journal-heading">
      <h2 id="journal-heading">Journal</h2>
      {props.journal.length === 0 ? (
        <p class="muted">Nothing journaled for {short(props.deploymentId, 12)}.</p>
      ) : (
        <ol class="journal" data-testid="release-journal">
          {props.journal.map((line, i) => (
            <li key={i} class={`journal-${line.kind}`}>
              <time dateTime={line.at} title={when(line.at)}>
                {new Date(line.at).toLocaleTimeString()}
              </time>{' '}
              <span class="tag">{line.kind}</span> {line.message}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
