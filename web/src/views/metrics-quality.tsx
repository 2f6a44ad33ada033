import { ApiError, api, query } from '../api/client.js';
import type { QualityAssessment, QualityEvidence, QualityReport } from '../api/metrics.js';
import { Loaded, StatusBadge } from '../components/status.js';
import { short, when } from '../format.js';
import { useResource } from '../live/resource.js';
import { ScrollRegion } from './metrics-behind.js';
import { deploymentHref, type MetricsFilters, monthOf } from './metrics-model.js';

/** The report, or the API's word that the service has no plan in the period (not a failure). */
type QualityAnswer =
  | { readonly kind: 'report'; readonly report: QualityReport }
  | { readonly kind: 'noPlan'; readonly error: ApiError };

/**
 * The quality plan's report for a month (docs/quality.md): each deliverable's verdict, what was
 * measured and the evidence. A service without a plan answers 404 FLOWLINE_QUALITY_NO_PLAN, which
 * is a fact about the service, so it is said plainly rather than shown as an error.
 */
export function QualityReportPanel(props: { readonly filters: MetricsFilters; readonly service: string }) {
  const { service } = props;
  const period = props.filters.period ?? monthOf(Date.now());
  const answer = useResource(
    async (signal): Promise<QualityAnswer> => {
      try {
        const { report } = await api<{ report: QualityReport }>(
          `/v1/reports/quality${query({ service, period })}`,
          { signal },
        );
        return { kind: 'report', report };
      } catch (error) {
        if (error instanceof ApiError && error.code === 'FLOWLINE_QUALITY_NO_PLAN')
          return { kind: 'noPlan', error };
        throw error;
      }
    },
    [service, period],
    (event) => event.service === service && event.type === 'run.finished',
  );
  return (
    <>
      <h2>Quality plan report, {period}</h2>
      <Loaded resource={answer} what="the quality report">
        {(value) =>
          value.kind === 'noPlan' ? (
            <div data-testid="quality-report" data-state="no-plan">
              <p>
                <strong>No quality plan</strong> for {service} in {period}: {value.error.message}
              </p>
              {value.error.hint !== undefined && <p class="hint">{value.error.hint}</p>}
            </div>
          ) : (
            <Report report={value.report} />
          )
        }
      </Loaded>
    </>
  );
}

function Report(props: { readonly report: QualityReport }) {
  const { report } = props;
  return (
    <div data-testid="quality-report" data-state="report">
      <p>
        {report.summary.pass} pass, {report.summary.fail} fail, {report.summary['no data']} no data. The plan
        assessed is the one sealed in artifact{' '}
        <code title={report.plan.artifactId}>{short(report.plan.artifactId)}</code> built by run{' '}
        <a href={`/runs/${encodeURIComponent(report.plan.runId)}`}>{report.plan.runId}</a>
        {report.plan.trunk === null ? '' : ` on ${report.plan.trunk}`}; generated{' '}
        <time dateTime={report.generatedAt}>{when(report.generatedAt)}</time>.
      </p>
      <ScrollRegion label="Deliverables">
        <table>
          <thead>
            <tr>
              <th scope="col">Deliverable</th>
              <th scope="col">Standard and AQL</th>
              <th scope="col">Method</th>
              <th scope="col">Verdict</th>
              <th scope="col">Measured</th>
              <th scope="col">Evidence</th>
            </tr>
          </thead>
          <tbody>
            {report.deliverables.map((d) => (
              <Deliverable key={d.id} d={d} service={report.service} />
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </div>
  );
}

function Deliverable(props: { readonly d: QualityAssessment; readonly service: string }) {
  const { d, service } = props;
  return (
    <tr data-testid={`quality-${d.id}`}>
      <th scope="row">
        {d.name}
        <br />
        <code class="muted">{d.id}</code>
      </th>
      <td>
        {d.standard}
        <br />
        <span class="muted">AQL: {d.aql}</span>
      </td>
      <td>
        {d.method}
        <br />
        <span class="muted">{d.methodDetail}</span>
      </td>
      <td>
        <StatusBadge status={d.verdict} />
      </td>
      <td>
        {d.conditions.length > 0 ? (
          <ul class="plain">
            {d.conditions.map((c) => (
              <li key={c.text}>
                {c.text}: {c.measured === null ? 'not measured' : String(c.measured)} (
                {c.met === null ? 'no data' : c.met ? 'met' : 'not met'})
              </li>
            ))}
          </ul>
        ) : (
          Object.entries(d.measured)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || <span class="muted">nothing</span>
        )}
        {d.reason !== null && <p class="muted">{d.reason}</p>}
        {d.error !== null && (
          <p class="error-text">
            <code>{d.error.code}</code> {d.error.message} (
            <code>
              {d.error.file}
              {d.error.line === undefined ? '' : `:${d.error.line}:${d.error.column ?? 1}`}
            </code>
            )
          </p>
        )}
      </td>
      <td>
        <EvidenceList evidence={d.evidence} service={service} />
      </td>
    </tr>
  );
}

function EvidenceList(props: { readonly evidence: QualityEvidence; readonly service: string }) {
  const e = props.evidence;
  const ids = e.ids ?? [];
  return (
    <ul class="plain">
      {e.runId !== undefined && (
        <li>
          run <a href={`/runs/${encodeURIComponent(e.runId)}`}>{e.runId}</a>
          {e.stage == null ? '' : `, stage ${e.stage}`}
        </li>
      )}
      {e.commitSha != null && (
        <li>
          commit <code title={e.commitSha}>{short(e.commitSha, 12)}</code>
        </li>
      )}
      {e.artifactId != null && (
        <li>
          artifact <code title={e.artifactId}>{short(e.artifactId)}</code>
        </li>
      )}
      {e.file != null && (
        <li>
          <code>{e.file}</code>
          {e.sha256 == null ? '' : ' sha256 '}
          {e.sha256 != null && <code title={e.sha256}>{short(e.sha256, 12)}</code>}
        </li>
      )}
      {e.files !== undefined &&
        Object.entries(e.files).map(([file, sha]) => (
          <li key={file}>
            <code>{file}</code>{' '}
            {sha === null ? <strong>missing</strong> : <code title={sha}>{short(sha, 12)}</code>}
          </li>
        ))}
      {e.signoff !== undefined && (
        <li>
          {e.signoff.verdict} by {e.signoff.signedBy},{' '}
          <time dateTime={e.signoff.recordedAt}>{when(e.signoff.recordedAt)}</time>
        </li>
      )}
      {e.signoff === undefined && ids.length > 0 && (
        <li>
          <details data-testid="quality-evidence-ids">
            <summary>{ids.length.toLocaleString()} deployments</summary>
            <ul>
              {ids.map((id) => (
                <li key={id}>
                  {e.environment === undefined ? (
                    <code>{id}</code>
                  ) : (
                    <a href={deploymentHref(props.service, e.environment, id)}>
                      <code>{id}</code>
                    </a>
                  )}
                </li>
              ))}
            </ul>
          </details>
        </li>
      )}
    </ul>
  );
}
