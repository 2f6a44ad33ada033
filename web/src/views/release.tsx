import { useRoute } from 'preact-iso';
import { ApiError, api, query } from '../api/client.js';
import type { Deployment, EnvironmentGlanceReport, PolicyAnswer, ReleaseAnswer } from '../api/envrel.js';
import { Loaded, StatusBadge } from '../components/status.js';
import { age, short, when } from '../format.js';
import type { LiveEvent } from '../live/events.js';
import { useResource } from '../live/resource.js';
import { allows, useSignedIn } from '../session.js';
import './envrel/envrel.css';
import { DeployPanel } from './envrel/deploy-panel.js';
import { policyFor } from './envrel/logic.js';
import { ReleaseActions } from './envrel/release-actions.js';
import { AnalysisCharts, Journal, StepsAndWeights } from './envrel/release-parts.js';

/** Null when the API says nothing was deployed there yet (404), so the page can offer a first deploy. */
async function orNull<T>(load: Promise<T>): Promise<T | null> {
  try {
    return await load;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/**
 * One environment's release, live: step and weights, each analysis metric against its condition,
 * the journal, the controls the session's role allows, deploy and rollback, and recent history.
 * `?deploy=1` opens the deploy form (the environments view links here for it).
 */
export function Release() {
  const { params, query: q } = useRoute();
  const service = params.service ?? '';
  const environment = params.environment ?? '';
  const session = useSignedIn();
  const path = `${encodeURIComponent(service)}/${encodeURIComponent(environment)}`;
  const ours = (event: LiveEvent) =>
    event.service === service &&
    (event.environment === undefined || event.environment === environment) &&
    (event.type.startsWith('release.') || event.type.startsWith('deployment.'));

  const release = useResource(
    (signal) => orNull(api<ReleaseAnswer>(`/v1/releases/${path}?lines=200`, { signal })),
    [path],
    ours,
  );
  const policy = useResource(
    (signal) => orNull(api<PolicyAnswer>(`/v1/policies/${encodeURIComponent(service)}`, { signal })),
    [service],
  );
  const status = useResource(
    (signal) => api<EnvironmentGlanceReport>(`/v1/environments/status${query({ service })}`, { signal }),
    [service],
    ours,
  );
  const history = useResource(
    (signal) =>
      api<{ deployments: Deployment[] }>(`/v1/deployments${query({ service, environment, limit: 10 })}`, {
        signal,
      }),
    [service, environment],
    ours,
  );

  const env =
    status.kind === 'ready' ? status.value.environments.find((e) => e.name === environment) : undefined;
  const policyKnown = policy.kind !== 'loading';
  const rules = policyFor(
    policy.kind === 'ready' ? policy.value?.policy.environments : undefined,
    environment,
    env?.kind === 'ephemeral',
  );
  const mayDeploy = policyKnown && allows(session, rules?.deployRole ?? 'deploy', environment);

  return (
    <section class="release">
      <p>
        <a href={`/services/${encodeURIComponent(service)}`}>← Environments of {service}</a>
      </p>
      <h1>
        {service} in {environment}
      </h1>
      {mayDeploy && (
        <DeployPanel
          service={service}
          environment={environment}
          policy={rules}
          initiallyOpen={q.deploy === '1'}
          onChange={() => {
            release.reload();
            history.reload();
          }}
        />
      )}
      <Loaded resource={release} what="the release">
        {(value) =>
          value === null ? (
            <p data-testid="release-none">
              Nothing was ever deployed to {environment} of {service}.
            </p>
          ) : (
            <>
              <Summary release={value} />
              {policyKnown && (
                <ReleaseActions
                  service={service}
                  environment={environment}
                  underway={value.phase !== null}
                  paused={value.paused}
                  policy={rules}
                  onDone={() => {
                    release.reload();
                    history.reload();
                  }}
                />
              )}
              <StepsAndWeights release={value} />
              <AnalysisCharts analysis={value.analysis} />
              <Journal journal={value.journal} deploymentId={value.deployment.id} />
            </>
          )
        }
      </Loaded>
      <h2>Recent deployments</h2>
      <Loaded resource={history} what="the deployments">
        {(value) => <History deployments={value.deployments} />}
      </Loaded>
    </section>
  );
}

function Summary(props: { readonly release: ReleaseAnswer }) {
  const d = props.release.deployment;
  return (
    <dl class="release-summary" data-testid="release-summary">
      <dt>Deployment</dt>
      <dd>
        <code>{d.id}</code> {d.kind === 'rollback' && <span class="tag">rollback</span>}
      </dd>
      <dt>Status</dt>
      <dd data-testid="release-status">
        <StatusBadge status={d.status} />
        {d.reason !== null && <span> {d.reason}</span>}
      </dd>
      <dt>Artifact</dt>
      <dd>
        <code title={d.artifactId}>{short(d.artifactId, 12)}</code>
        {d.commitSha !== null && (
          <>
            {' '}
            from commit <code title={d.commitSha}>{short(d.commitSha)}</code>
          </>
        )}
      </dd>
      <dt>Started</dt>
      <dd>
        <span title={when(d.startedAt)}>{age(d.startedAt)}</span> by {d.actor}
        {d.finishedAt !== null && (
          <>
            ; ended <span title={when(d.finishedAt)}>{age(d.finishedAt)}</span>
          </>
        )}
      </dd>
      {props.release.url !== null && (
        <>
          <dt>URL</dt>
          <dd>
            <a href={props.release.url} rel="noreferrer">
              {props.release.url}
            </a>
          </dd>
        </>
      )}
    </dl>
  );
}

function History(props: { readonly deployments: readonly Deployment[] }) {
  if (props.deployments.length === 0) return <p class="muted">None yet.</p>;
  return (
    <table data-testid="release-history">
      <thead>
        <tr>
          <th scope="col">Started</th>
          <th scope="col">Artifact</th>
          <th scope="col">Strategy</th>
          <th scope="col">Outcome</th>
          <th scope="col">By</th>
        </tr>
      </thead>
      <tbody>
        {props.deployments.map((d) => (
          <tr key={d.id}>
            <td title={when(d.startedAt)}>{age(d.startedAt)}</td>
            <td>
              <code title={d.artifactId}>{short(d.artifactId, 12)}</code>
              {d.kind === 'rollback' && <span class="tag"> rollback</span>}
            </td>
            <td>{d.strategy}</td>
            <td>
              <StatusBadge status={d.outcome} />
            </td>
            <td>{d.actor}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
