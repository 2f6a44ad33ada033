import { useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, query } from '../api/client.js';
import type {
  CatalogService,
  EvaluationSeries,
  FlagEnvironment,
  FlagHistoryEntry,
  FlagOverview,
} from '../api/flags.js';
import { ErrorBox, Loaded } from '../components/status.js';
import type { LiveEvent } from '../live/events.js';
import { useResource } from '../live/resource.js';
import { allows, useSignedIn } from '../session.js';
import { CountsChart } from './flags-chart.js';
import { FlagEditor } from './flags-editor.js';
import { flagsHref } from './flags-logic.js';
import { FlagsTable, type KillRequest } from './flags-table.js';
import './flags.css';

/** A flag change of this service: the bus names it `flag.changed`, the issue `flags.changed`. */
const flagEvent = (service: string) => (event: LiveEvent) =>
  (event.type === 'flags.changed' || event.type === 'flag.changed') && event.service === service;

/** Flags per service and environment: state, kill switches, stale flags, counts and the rule editor. */
export function Flags() {
  const { params, query: q } = useRoute();
  const service = params.service;
  return (
    <section class="flags">
      <h1>{service === undefined ? 'Flags' : `Flags of ${service}`}</h1>
      <ServicePicker current={service} />
      {service !== undefined && (
        <ServiceFlags
          service={service}
          environment={params.environment}
          flag={q.flag === '' ? undefined : q.flag}
          range={q.range === '7d' ? '7d' : '24h'}
        />
      )}
    </section>
  );
}

function ServicePicker(props: { readonly current: string | undefined }) {
  const { route } = useLocation();
  const services = useResource(
    (signal) => api<{ services: CatalogService[] }>('/v1/services', { signal }),
    [],
  );
  const [name, setName] = useState(props.current ?? '');
  const names = services.kind === 'ready' ? services.value.services.map((s) => s.name) : [];
  return (
    <form
      class="filters"
      onSubmit={(event) => {
        event.preventDefault();
        if (name.trim() !== '') route(flagsHref(name.trim()));
      }}
    >
      <label>
        Service
        <input
          list="flag-services"
          value={name}
          data-testid="flag-service"
          onInput={(event) => setName((event.target as HTMLInputElement).value)}
        />
      </label>
      <datalist id="flag-services">
        {names.map((n) => (
          <option key={n} value={n} />
        ))}
      </datalist>
      <button type="submit">Show flags</button>
      {services.kind === 'error' && <ErrorBox error={services.error} title="Could not list the services" />}
      {props.current === undefined && names.length > 0 && (
        <p class="flag-services">
          {names.map((n) => (
            <a key={n} href={flagsHref(n)}>
              {n}
            </a>
          ))}
        </p>
      )}
    </form>
  );
}

interface ServiceData {
  readonly overview: FlagOverview;
  /** Each environment with a killed flag: its recent history, to say who pulled the switch. */
  readonly kills: ReadonlyMap<string, readonly FlagHistoryEntry[]>;
}

function ServiceFlags(props: {
  readonly service: string;
  readonly environment: string | undefined;
  readonly flag: string | undefined;
  readonly range: '24h' | '7d';
}) {
  const { service } = props;
  const session = useSignedIn();
  const [actionError, setActionError] = useState<{ title: string; error: unknown } | undefined>();
  const data = useResource<ServiceData>(
    async (signal) => {
      const overview = await api<FlagOverview>(`/v1/flags/${encodeURIComponent(service)}`, { signal });
      const killed = overview.environments.filter((env) =>
        Object.values(env.definition.flags).some((flag) => flag.killed === true),
      );
      const histories = await Promise.all(
        killed.map(async (env) => {
          const answer = await api<{ history: FlagHistoryEntry[] }>(
            `/v1/flags/${encodeURIComponent(service)}/${encodeURIComponent(env.environment)}/history?limit=200`,
            { signal },
          );
          return [env.environment, answer.history] as const;
        }),
      );
      return { overview, kills: new Map(histories) };
    },
    [service],
    flagEvent(service),
  );

  const act = async (request: KillRequest) => {
    setActionError(undefined);
    const { key, environment, action } = request;
    try {
      await api(
        `/v1/flags/${encodeURIComponent(service)}/${encodeURIComponent(environment)}/${encodeURIComponent(key)}/${action}`,
        { method: 'POST' },
      );
    } catch (error) {
      setActionError({ title: `Could not ${action} ${key} in ${environment}`, error });
    }
    data.reload();
  };

  return (
    <Loaded resource={data} what="the flags">
      {({ overview, kills }) => (
        <>
          {actionError !== undefined && <ErrorBox error={actionError.error} title={actionError.title} />}
          {overview.environments.length === 0 ? (
            <p>
              No flags for {service} yet. Define them in flowline.yaml and run{' '}
              <code>flowline flags apply</code>, or create one below.
            </p>
          ) : (
            <FlagsTable
              overview={overview}
              kills={kills}
              selected={props.flag}
              environment={props.environment}
              canKill={(env) => allows(session, 'deploy', env)}
              onAct={act}
            />
          )}
          {overview.environments.length > 0 && (
            <p class="hint">
              Stale: a temporary flag (metadata <code>temporary: true</code>) past its <code>expires</code>{' '}
              date, or serving one variant to everyone in every environment and unchanged for{' '}
              {overview.staleDays} days (docs/flags.md, Hygiene).
            </p>
          )}
          <FlagDetail
            {...props}
            overview={overview}
            canEdit={(env) => allows(session, 'deploy', env)}
            reload={data.reload}
          />
        </>
      )}
    </Loaded>
  );
}

function FlagDetail(props: {
  readonly service: string;
  readonly environment: string | undefined;
  readonly flag: string | undefined;
  readonly range: '24h' | '7d';
  readonly overview: FlagOverview;
  readonly canEdit: (environment: string) => boolean;
  readonly reload: () => void;
}) {
  const { service, overview, flag } = props;
  const { route } = useLocation();
  const [newKey, setNewKey] = useState('');
  const environments = overview.environments.map((env) => env.environment);
  const [newEnv, setNewEnv] = useState(props.environment ?? environments[0] ?? '');
  const env = overview.environments.find((e) => e.environment === props.environment);
  if (flag === undefined) {
    return (
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          if (newKey.trim() !== '' && newEnv.trim() !== '')
            route(flagsHref(service, newEnv.trim(), { flag: newKey.trim() }));
        }}
      >
        <label>
          Open or create a flag
          <input
            value={newKey}
            data-testid="flag-open-key"
            onInput={(event) => setNewKey((event.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          in environment
          <input
            list="flag-environments"
            value={newEnv}
            data-testid="flag-open-env"
            onInput={(event) => setNewEnv((event.target as HTMLInputElement).value)}
          />
        </label>
        <datalist id="flag-environments">
          {environments.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        <button type="submit">Open</button>
      </form>
    );
  }
  return (
    <article class="flag-detail" aria-labelledby="flag-detail-title">
      <h2 id="flag-detail-title">
        <code>{flag}</code>
      </h2>
      <nav class="flag-envs" aria-label="Environments of this flag">
        {environments.map((name) => (
          <a
            key={name}
            href={flagsHref(service, name, { flag, range: props.range })}
            aria-current={name === props.environment ? 'page' : undefined}
          >
            {name}
          </a>
        ))}
      </nav>
      {props.environment === undefined ? (
        <p>Choose an environment to see its evaluations and edit the flag there.</p>
      ) : env === undefined ? (
        <NewEnvironment
          service={service}
          environment={props.environment}
          flag={flag}
          canEdit={props.canEdit}
          reload={props.reload}
        />
      ) : (
        <>
          <Counts service={service} environment={env.environment} flag={flag} range={props.range} />
          <h3>Definition</h3>
          <FlagEditor
            key={`${env.environment}\0${flag}`}
            env={env}
            flagKey={flag}
            canSave={props.canEdit(env.environment)}
            onSaved={props.reload}
          />
        </>
      )}
    </article>
  );
}

/** An environment with no flag set yet: the editor writes the first flag, from version 0. */
function NewEnvironment(props: {
  readonly service: string;
  readonly environment: string;
  readonly flag: string;
  readonly canEdit: (environment: string) => boolean;
  readonly reload: () => void;
}) {
  const doc = useResource(
    (signal) =>
      api<Omit<FlagEnvironment, 'flags' | 'updatedAt'>>(
        `/v1/flags/${encodeURIComponent(props.service)}/${encodeURIComponent(props.environment)}`,
        { signal },
      ),
    [props.service, props.environment],
  );
  return (
    <Loaded resource={doc} what={`the flags of ${props.environment}`}>
      {(value) => (
        <FlagEditor
          env={{ ...value, updatedAt: null, flags: {} }}
          flagKey={props.flag}
          canSave={props.canEdit(props.environment)}
          onSaved={props.reload}
        />
      )}
    </Loaded>
  );
}

function Counts(props: {
  readonly service: string;
  readonly environment: string;
  readonly flag: string;
  readonly range: '24h' | '7d';
}) {
  const { route } = useLocation();
  const series = useResource(
    (signal) =>
      api<EvaluationSeries>(
        `/v1/flags/${encodeURIComponent(props.service)}/${encodeURIComponent(props.environment)}/evaluations${query({ range: props.range, flag: props.flag })}`,
        { signal },
      ),
    [props.service, props.environment, props.flag, props.range],
    flagEvent(props.service),
  );
  const label = props.range === '7d' ? 'in the last 7 days' : 'in the last 24 hours';
  return (
    <section class="flag-counts" aria-labelledby="flag-counts-title">
      <h3 id="flag-counts-title">Evaluations per variant</h3>
      <div class="filters">
        <label>
          Range
          <select
            value={props.range}
            data-testid="flag-range"
            onChange={(event) =>
              route(
                flagsHref(props.service, props.environment, {
                  flag: props.flag,
                  range: (event.target as HTMLSelectElement).value,
                }),
              )
            }
          >
            <option value="24h">last 24 hours</option>
            <option value="7d">last 7 days</option>
          </select>
        </label>
        <button type="button" onClick={series.reload}>
          Refresh
        </button>
      </div>
      <Loaded resource={series} what="the evaluation counts">
        {(value) => (
          <>
            <CountsChart hours={value.hours} series={value.flags[props.flag] ?? {}} label={label} />
            <p class="hint">
              Per UTC hour: the server's own evaluations and those SDKs report (within 35 s). The current hour
              is the last point; Refresh to update it.
            </p>
          </>
        )}
      </Loaded>
    </section>
  );
}
