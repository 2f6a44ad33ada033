import { useLocation, useRoute } from 'preact-iso';
import { api, query } from '../api/client.js';
import type { EnvironmentGlance, EnvironmentGlanceReport } from '../api/envrel.js';
import { Loaded, StatusBadge } from '../components/status.js';
import { age, short, when } from '../format.js';
import { useResource } from '../live/resource.js';
import { allows, useSignedIn } from '../session.js';
import './envrel/envrel.css';
import { authorName, healthWord, splitOf } from './envrel/logic.js';

type Kind = 'all' | 'persistent' | 'preview';

/** Environments at a glance, per service: what runs where, since when, how healthy, and what differs. */
export function Environments() {
  const { params, query: q } = useRoute();
  const { route } = useLocation();
  const service = params.service;
  const kind: Kind = q.kind === 'persistent' || q.kind === 'preview' ? q.kind : 'all';
  const report = useResource(
    (signal) => api<EnvironmentGlanceReport>(`/v1/environments/status${query({ service })}`, { signal }),
    [service],
    (event) =>
      (service === undefined || event.service === service) &&
      (event.type.startsWith('deployment.') || event.type.startsWith('release.')),
  );
  return (
    <section>
      <h1>{service === undefined ? 'Environments' : `Environments of ${service}`}</h1>
      <div class="filters">
        <label>
          Show
          <select
            data-testid="env-kind-filter"
            value={kind}
            onChange={(e) => {
              const value = (e.target as HTMLSelectElement).value;
              const base = service === undefined ? '/' : `/services/${encodeURIComponent(service)}`;
              route(`${base}${query({ kind: value === 'all' ? undefined : value })}`, true);
            }}
          >
            <option value="all">all environments</option>
            <option value="persistent">persistent only</option>
            <option value="preview">previews only</option>
          </select>
        </label>
      </div>
      <Loaded resource={report} what="the environments">
        {(value) => <ServiceGroups report={value} kind={kind} />}
      </Loaded>
    </section>
  );
}

function ServiceGroups(props: { readonly report: EnvironmentGlanceReport; readonly kind: Kind }) {
  const byService = new Map<string, EnvironmentGlance[]>();
  for (const env of props.report.environments) {
    if (props.kind === 'preview' && env.kind !== 'ephemeral') continue;
    if (props.kind === 'persistent' && env.kind === 'ephemeral') continue;
    const list = byService.get(env.service) ?? [];
    list.push(env);
    byService.set(env.service, list);
  }
  if (byService.size === 0) {
    return props.report.environments.length === 0 ? (
      <p>
        No environment yet. Deploy with <code>flowline deploy staging</code>.
      </p>
    ) : (
      <p>No environment of this kind.</p>
    );
  }
  return (
    <>
      {!props.report.runtime && (
        <p class="notice">The runtime is not running here: instance health and its drift are unknown.</p>
      )}
      {[...byService].map(([service, envs]) => (
        <article key={service} class="service" aria-labelledby={`service-${service}`}>
          <h2 id={`service-${service}`}>
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

function EnvironmentCard(props: { readonly env: EnvironmentGlance }) {
  const { env } = props;
  const session = useSignedIn();
  const releaseHref = `/releases/${encodeURIComponent(env.service)}/${encodeURIComponent(env.name)}`;
  const split = splitOf(env.traffic, env.revision);
  const health = healthWord(env.health);
  return (
    <div class="card" data-testid={`env-${env.service}-${env.name}`}>
      <h3>
        {env.name} {env.kind === 'ephemeral' && <span class="tag">preview</span>}
      </h3>
      <dl>
        <dt>Artifact</dt>
        <dd>
          {env.artifact === null ? (
            <span class="muted">nothing live</span>
          ) : (
            <code title={env.artifact}>{short(env.artifact)}</code>
          )}
        </dd>
        <dt>Commit</dt>
        <dd data-testid="env-commit">
          {env.commit === null ? (
            <span class="muted">unknown</span>
          ) : (
            <>
              <code title={env.commit}>{short(env.commit)}</code>
              {env.commitSubject != null && <span class="commit-subject"> {env.commitSubject}</span>}
              {(env.commitAuthor != null || env.commitAuthoredAt != null) && (
                <span class="muted">
                  {' '}
                  —{' '}
                  <span title={env.commitAuthor ?? ''}>
                    {env.commitAuthor == null ? 'author not recorded' : authorName(env.commitAuthor)}
                  </span>
                  {env.commitAuthoredAt != null && (
                    <span title={when(env.commitAuthoredAt)}>, {age(env.commitAuthoredAt)}</span>
                  )}
                </span>
              )}
            </>
          )}
        </dd>
        {env.liveSince != null && (
          <>
            <dt>Live since</dt>
            <dd title={when(env.liveSince)} data-testid="env-age">
              {age(env.liveSince)}
            </dd>
          </>
        )}
        <dt>Health</dt>
        <dd data-testid="env-health">
          <StatusBadge status={health} />{' '}
          {env.health !== null && `${env.health.healthy}/${env.health.desired} instances healthy`}
          {env.health !== null && env.health.instances.length > 0 && (
            <ul class="instances-list" aria-label="Instances">
              {env.health.instances.map((i, n) => (
                <li key={String(i.id ?? n)}>
                  <code>{String(i.id ?? n)}</code> <StatusBadge status={String(i.state ?? 'unknown')} />
                  {typeof i.restarts === 'number' && i.restarts > 0 && (
                    <span class="muted"> {i.restarts} restarts</span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </dd>
        {env.release !== null && (
          <>
            <dt>Release</dt>
            <dd>
              <a href={releaseHref} data-testid="env-release">
                <StatusBadge status={env.release} />
              </a>
            </dd>
          </>
        )}
        {split.length > 0 && (
          <>
            <dt>Traffic</dt>
            <dd data-testid="env-split" class="split-line">
              {split.map((b, i) => (
                <span key={b.revision}>
                  {i > 0 && ' · '}
                  {b.weight}% <code>{b.revision}</code> ({b.role === 'stable' ? 'live' : 'new'})
                </span>
              ))}
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
            <dd title={when(env.expiresAt)} data-testid="env-expires">
              {Date.parse(env.expiresAt) > Date.now()
                ? `${age(env.expiresAt)} (time left)`
                : 'expired, removal due'}
            </dd>
          </>
        )}
      </dl>
      {env.drift.length > 0 && (
        <p class="drift" role="note" data-testid="env-drift">
          Drift: {env.drift.join('; ')}
        </p>
      )}
      <p class="card-links">
        <a href={releaseHref}>Release and history</a>
        {allows(session, 'deploy', env.name) && (
          <>
            {' · '}
            <a href={`${releaseHref}?deploy=1`} data-testid={`env-deploy-${env.service}-${env.name}`}>
              Deploy…
            </a>
          </>
        )}
      </p>
    </div>
  );
}
