import { useLocation, useRoute } from 'preact-iso';
import { api, query } from '../api/client.js';
import type { Deployment, EnvironmentGlanceReport } from '../api/envrel.js';
import { Loaded, StatusBadge } from '../components/status.js';
import { age, duration, short, when } from '../format.js';
import type { LiveEvent } from '../live/events.js';
import { useResource } from '../live/resource.js';
import './envrel/envrel.css';

const live = (service: string | undefined) => (event: LiveEvent) =>
  (service === undefined || event.service === service) &&
  (event.type.startsWith('deployment.') || event.type.startsWith('release.'));

/** Releases under way across services, and the recent deployments; `?service=` narrows both. */
export function Releases() {
  const { query: q } = useRoute();
  const { route } = useLocation();
  const service = q.service === '' ? undefined : q.service;
  const status = useResource(
    (signal) => api<EnvironmentGlanceReport>(`/v1/environments/status${query({ service })}`, { signal }),
    [service],
    live(service),
  );
  const recent = useResource(
    (signal) =>
      api<{ deployments: Deployment[] }>(`/v1/deployments${query({ service, limit: 50 })}`, { signal }),
    [service],
    live(service),
  );
  return (
    <section>
      <h1>Releases</h1>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          const value = new FormData(event.currentTarget).get('service');
          route(`/releases${query({ service: typeof value === 'string' ? value.trim() : undefined })}`);
        }}
      >
        <label>
          Service
          <input
            name="service"
            defaultValue={service ?? ''}
            placeholder="all services"
            data-testid="releases-service"
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      <h2>Under way</h2>
      <Loaded resource={status} what="the environments">
        {(value) => {
          const underway = value.environments.filter((e) => e.release !== null);
          if (underway.length === 0) return <p class="muted">No release is under way.</p>;
          return (
            <ul data-testid="releases-underway">
              {underway.map((e) => (
                <li key={`${e.service}/${e.name}`}>
                  <a href={`/releases/${encodeURIComponent(e.service)}/${encodeURIComponent(e.name)}`}>
                    {e.service} in {e.name}
                  </a>{' '}
                  <StatusBadge status={e.release} />
                  {(e.traffic ?? []).length > 1 && (
                    <span class="muted">
                      {' '}
                      {(e.traffic ?? []).map((b) => `${b.weight}% ${b.revision}`).join(' · ')}
                    </span>
                  )}
                </li>
              ))}
            </ul>
          );
        }}
      </Loaded>
      <h2>Recent deployments</h2>
      <Loaded resource={recent} what="the deployments">
        {(value) => <DeploymentTable deployments={value.deployments} />}
      </Loaded>
    </section>
  );
}

function DeploymentTable(props: { readonly deployments: readonly Deployment[] }) {
  if (props.deployments.length === 0) return <p class="muted">No deployment yet.</p>;
  return (
    <table data-testid="releases-recent">
      <thead>
        <tr>
          <th scope="col">Service and environment</th>
          <th scope="col">Started</th>
          <th scope="col">Artifact</th>
          <th scope="col">Strategy</th>
          <th scope="col">Outcome</th>
          <th scope="col">Took</th>
          <th scope="col">By</th>
        </tr>
      </thead>
      <tbody>
        {props.deployments.map((d) => (
          <tr key={d.id}>
            <td>
              <a href={`/releases/${encodeURIComponent(d.service)}/${encodeURIComponent(d.environment)}`}>
                {d.service} in {d.environment}
              </a>
            </td>
            <td title={when(d.startedAt)}>{age(d.startedAt)}</td>
            <td>
              <code title={d.artifactId}>{short(d.artifactId, 12)}</code>
              {d.kind === 'rollback' && <span class="tag"> rollback</span>}
            </td>
            <td>{d.strategy}</td>
            <td>
              <StatusBadge status={d.outcome} />
            </td>
            <td>
              {d.finishedAt === null ? '—' : duration(Date.parse(d.finishedAt) - Date.parse(d.startedAt))}
            </td>
            <td>{d.actor}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
