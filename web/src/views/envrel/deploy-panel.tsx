import { useRef, useState } from 'preact/hooks';
import { api, apiStream, query } from '../../api/client.js';
import type { Artifact, DeployResult, PolicyEnvironment } from '../../api/envrel.js';
import { ConfirmDialog } from '../../components/confirm-action.js';
import { ErrorBox, Loaded, StatusBadge } from '../../components/status.js';
import { age, short, when } from '../../format.js';
import { useResource } from '../../live/resource.js';
import { defaultArtifactText, needsConfirmation } from './logic.js';

/**
 * Deploy an artifact to one environment: choose it (or leave the API's default), confirm on
 * production, and follow the NDJSON progress as it streams. The caller shows it only when the
 * session may deploy there (`allows(session, deployRole, environment)`).
 */
export function DeployPanel(props: {
  readonly service: string;
  readonly environment: string;
  readonly policy: PolicyEnvironment | undefined;
  /** Opened at once (the page was reached by a "Deploy…" link). */
  readonly initiallyOpen?: boolean;
  /**
   * Called as the deployment moves on (at most about once a second) and when it ends, so the
   * page refreshes what it shows even before (or without) the live event stream telling it.
   */
  readonly onChange?: () => void;
}) {
  const { service, environment, policy } = props;
  const [open, setOpen] = useState(props.initiallyOpen === true);
  const [artifact, setArtifact] = useState('');
  const [hotfix, setHotfix] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [lines, setLines] = useState<string[]>([]);
  const [running, setRunning] = useState(false);
  const [outcome, setOutcome] = useState<
    { kind: 'done'; result: DeployResult } | { kind: 'error'; error: unknown } | undefined
  >();

  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const changed = () => {
    if (pending.current !== undefined) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      props.onChange?.();
    }, 700);
  };

  const start = async () => {
    setConfirming(false);
    setRunning(true);
    setLines([]);
    setOutcome(undefined);
    try {
      const result = await apiStream<DeployResult>('/v1/deploy', {
        method: 'POST',
        body: {
          service,
          environment,
          ...(artifact === '' ? {} : { artifact }),
          ...(hotfix ? { hotfix } : {}),
        },
        onLine: (line) => {
          setLines((previous) => [...previous, line]);
          changed();
        },
      });
      setOutcome({ kind: 'done', result });
    } catch (error) {
      setOutcome({ kind: 'error', error });
    } finally {
      setRunning(false);
      props.onChange?.();
    }
  };

  if (!open) {
    return (
      <button type="button" class="primary" data-testid="deploy-button" onClick={() => setOpen(true)}>
        Deploy to {environment}…
      </button>
    );
  }
  return (
    <section class="deploy-panel" aria-labelledby="deploy-heading" data-testid="deploy-panel">
      <h2 id="deploy-heading">
        Deploy {service} to {environment}
      </h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (needsConfirmation(environment, policy)) setConfirming(true);
          else void start();
        }}
      >
        <div class="filters">
          <div class="field">
            <label for="deploy-artifact">Artifact</label>
            <ArtifactChoice service={service} value={artifact} onChange={setArtifact} policy={policy} />
          </div>
          <label class="inline">
            <input
              type="checkbox"
              checked={hotfix}
              onChange={(e) => setHotfix((e.target as HTMLInputElement).checked)}
            />{' '}
            Hotfix (an unplanned fix)
          </label>
          <button type="submit" class="primary" disabled={running} data-testid="deploy-start">
            {running ? 'Deploying…' : 'Deploy'}
          </button>
          <button type="button" disabled={running} onClick={() => setOpen(false)}>
            Close
          </button>
        </div>
      </form>
      {confirming && (
        <ConfirmDialog
          title={`Deploy ${service} to ${environment}?`}
          confirmLabel={`Deploy to ${environment}`}
          danger
          onConfirm={() => void start()}
          onCancel={() => setConfirming(false)}
        >
          <p>
            {environment} serves users. Artifact:{' '}
            {artifact === '' ? defaultArtifactText(policy) : <code>{short(artifact, 12)}</code>}.
          </p>
        </ConfirmDialog>
      )}
      {(running || lines.length > 0) && (
        <pre class="log" data-testid="deploy-progress" aria-live="polite" aria-busy={running}>
          {lines.join('\n')}
          {running && '\n…'}
        </pre>
      )}
      {outcome?.kind === 'error' && <ErrorBox error={outcome.error} title="The deployment did not succeed" />}
      {outcome?.kind === 'done' && (
        <p data-testid="deploy-result">
          Deployment <code>{outcome.result.deployment.id}</code>:{' '}
          <StatusBadge status={outcome.result.deployment.status} /> —{' '}
          <a href={outcome.result.url} rel="noreferrer">
            {outcome.result.url}
          </a>
        </p>
      )}
    </section>
  );
}

/** The service's newest artifacts, with the API's default first (no artifact named). */
function ArtifactChoice(props: {
  readonly service: string;
  readonly value: string;
  readonly onChange: (artifact: string) => void;
  readonly policy: PolicyEnvironment | undefined;
}) {
  const artifacts = useResource(
    (signal) =>
      api<{ artifacts: Artifact[] }>(`/v1/artifacts${query({ service: props.service, limit: 20 })}`, {
        signal,
      }),
    [props.service],
    (event) => event.type === 'run.finished' && event.service === props.service,
  );
  return (
    <Loaded resource={artifacts} what="the artifacts">
      {({ artifacts: list }) => (
        <select
          id="deploy-artifact"
          data-testid="deploy-artifact"
          value={props.value}
          onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
        >
          <option value="">Default: {defaultArtifactText(props.policy)}</option>
          {list.map((a) => (
            <option key={a.id} value={a.id} title={when(a.createdAt)}>
              {short(a.id, 12)} · {a.commitSha === null ? 'no commit' : short(a.commitSha)} · built{' '}
              {age(a.createdAt)}
            </option>
          ))}
        </select>
      )}
    </Loaded>
  );
}
