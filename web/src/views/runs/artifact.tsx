import { api, query } from '../../api/client.js';
import { Loaded, StatusBadge } from '../../components/status.js';
import { age, when } from '../../format.js';
import { useResource } from '../../live/resource.js';

interface DeploymentRecord {
  readonly id: string;
  readonly environment: string;
  readonly artifactId: string;
  readonly status: string;
  readonly startedAt: string;
}

/** How many of the service's newest deployments are searched for this artifact. */
const SEARCHED = 200;

/** The run's artifact, and where it was deployed (from `GET /v1/deployments`), each linked to its release. */
export function ArtifactDeployments(props: { readonly service: string; readonly artifactId: string }) {
  const { service, artifactId } = props;
  const deployments = useResource(
    (signal) =>
      api<{ deployments: DeploymentRecord[] }>(`/v1/deployments${query({ service, limit: SEARCHED })}`, {
        signal,
      }),
    [service],
    (event) => event.service === service && event.type.startsWith('deployment.'),
  );
  return (
    <>
      <p>
        <code data-testid="run-artifact">{artifactId}</code>
      </p>
      <Loaded resource={deployments} what="its deployments">
        {(value) => {
          const mine = value.deployments.filter((d) => d.artifactId === artifactId);
          if (mine.length === 0)
            return (
              <p class="muted">
                Not deployed
                {value.deployments.length >= SEARCHED ? ` in ${service}'s last ${SEARCHED} deployments` : ''}.
              </p>
            );
          return (
            <ul class="artifact-deployments">
              {mine.map((d) => (
                <li key={d.id}>
                  <a href={`/releases/${encodeURIComponent(service)}/${encodeURIComponent(d.environment)}`}>
                    {d.environment}
                  </a>{' '}
                  <StatusBadge status={d.status} /> <span title={when(d.startedAt)}>{age(d.startedAt)}</span>
                </li>
              ))}
            </ul>
          );
        }}
      </Loaded>
    </>
  );
}
