import { useRoute } from 'preact-iso';
import { api, query } from '../api/client.js';
import type { EnvironmentStatus, EnvironmentStatusReport } from '../api/types.js';
import { Loaded, StatusBadge } from '../components/status.js';
import { age, short, when } from '../format.js';
import { useResource } from '../live/resource.js';

/** Environments at a glance, per service: what runs where, how healthy, and what differs. */
export function Environments() {
  const { params } = useRoute();
  const service = params.service;
  const report = useResource(
    (signal) => api<EnvironmentStatusReport>(`/v1/environments/status${query({ service })}`, { signal }),
    [service],
    (event) =>
      (service === undefined || event.service === service) &&
      (event.type.startsWith('deployment.') || event.type.startsWith('release.')),
  );
  return (
    <section>
      <h1>{service === undefined ? 'Environments' : `Environments of ${service}`}</h1>
      <Loaded resource={report} what="the environments">
        {(value) => <ServiceGroups report={value} />}
      </Loaded>
    </section>
  );
}

function ServiceGroups(props: { readonly report: EnvironmentStatusReport }) {
  const byService = new Map<string, EnvironmentStatus[]>();
  for (const env of props.report.environments) {
    const list = byService.get(env.service) ?? [];
    list.push(env);
    byService.set(env.service, list);
  }
  if (byService.size === 0) {
    return (
      <p>
        No environment yet. Deploy with <code>flowline deploy staging</code>.
      </p>
    );
  }
  return (
    <>
      {!props.report.runtime && (
        <p class="notice">The runtime is not running here: instance health and its drift are unknown.</p>
      )}
      {[...byService].map(([service, envs]) => (
        <article key={service} class="service">
          <h2>
            <a href={`/services/${encodeURIComponent(service)}`}>{service}</a>
          </h2>
          <div class="cards">
            {envs.map((env) => (
              <EnvironmentCard key={env.name} env={env} />
            ))}
          </div>
        </article>
      ))}
    </>
  );
}

function EnvironmentCard(props: { readonly env: EnvironmentStatus }) {
  const { env } = props;
  const releaseHref = `/releases/${encodeURIComponent(env.service)}/${encodeURIComponent(env.name)}`;
  return (
    <div class="card" data-testid={`env-${env.service}-${env.name}`}>
      <h3>
        {env.name} {env.kind === 'preview' && <span class="tag">preview</span>}
      </h3>
      <dl>
        <dt>Artifact</dt>
        <dd>
          <code title={env.artifact ?? ''}>{short(env.artifact)}</code>
        </dd>
        <dt>Commit</dt>
        <dd>
          <code title={env.commit ?? ''}>{short(env.commit)}</code>
        </dd>
        <dt>Health</dt>
        <dd>
          {env.health === null ? (
            <span class="muted">unknown</span>
          ) : (
            <StatusBadge
              status={
                env.health.healthy >= env.health.desired && env.health.desired > 0 ? 'healthy' : 'unhealthy'
              }
            />
          )}{' '}
          {env.health !== null && `${env.health.healthy}/${env.health.desired}`}
        </dd>
        {env.release !== null && (
          <>
            <dt>Release</dt>
            <dd>
              <a href={releaseHref}>
                <StatusBadge status={env.release} />
              </a>
            </dd>
          </>
        )}
        {env.url !== null && (
          <>
            <dt>URL</dt>
            <dd>
              <a href={env.url} rel="noreferrer">
                {env.url}
              </a>
            </dd>
          </>
        )}
        {env.expiresAt !== null && (
          <>
            <dt>Expires</dt>
            <dd title={when(env.expiresAt)}>{age(env.expiresAt)}</dd>
          </>
        )}
      </dl>
      {env.drift.length > 0 && (
        <p class="drift" role="note">
          Drift: {env.drift.join('; ')}
        </p>
      )}
      <a href={releaseHref}>Release and history →</a>
    </div>
  );
}
