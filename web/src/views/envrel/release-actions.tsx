import { useState } from 'preact/hooks';
import { api, apiStream } from '../../api/client.js';
import type { PolicyEnvironment } from '../../api/envrel.js';
import { ConfirmDialog } from '../../components/confirm-action.js';
import { ErrorBox } from '../../components/status.js';
import { allows, useSignedIn } from '../../session.js';
import { needsConfirmation, releaseActions } from './logic.js';

type Action = ReturnType<typeof releaseActions>[number];

const LABEL: Readonly<Record<Action, string>> = {
  promote: 'Promote (next step)',
  'promote-full': 'Promote fully',
  pause: 'Pause',
  resume: 'Resume',
  abort: 'Abort',
  rollback: 'Roll back',
};

const EXPLAIN: Readonly<Record<Action, string>> = {
  promote: 'The canary goes on to its next step.',
  'promote-full': 'Every remaining step is skipped: all traffic goes to the new revision.',
  pause: 'The release stops before its next step until someone resumes it.',
  resume: 'The release carries on from where it was paused.',
  abort: 'All traffic goes back to the stable revision and the release ends as failed.',
  rollback: 'The environment returns at once to its previous good artifact.',
};

/**
 * Promote, pause, resume, abort while a release is under way, and roll back after: shown only
 * to a session whose role the environment's policy accepts; production asks first.
 */
export function ReleaseActions(props: {
  readonly service: string;
  readonly environment: string;
  readonly underway: boolean;
  readonly paused: boolean;
  readonly policy: PolicyEnvironment | undefined;
  readonly onDone: () => void;
}) {
  const session = useSignedIn();
  const { service, environment, policy } = props;
  const [asking, setAsking] = useState<Action | undefined>();
  const [busy, setBusy] = useState<Action | undefined>();
  const [lines, setLines] = useState<string[]>([]);
  const [result, setResult] = useState<{ ok: string } | { error: unknown } | undefined>();
  if (!allows(session, policy?.deployRole ?? 'deploy', environment)) return null;

  const run = async (action: Action) => {
    setAsking(undefined);
    setBusy(action);
    setResult(undefined);
    setLines([]);
    try {
      if (action === 'rollback') {
        await apiStream('/v1/rollback', {
          method: 'POST',
          body: { service, environment },
          onLine: (line) => setLines((previous) => [...previous, line]),
        });
      } else {
        const verb = action === 'promote-full' ? 'promote' : action;
        await api(`/v1/releases/${encodeURIComponent(service)}/${encodeURIComponent(environment)}/${verb}`, {
          method: 'POST',
          body: { full: action === 'promote-full' },
        });
      }
      setResult({ ok: `${LABEL[action]}: done.` });
    } catch (error) {
      setResult({ error });
    } finally {
      setBusy(undefined);
      props.onDone();
    }
  };

  const actions = releaseActions({ underway: props.underway, paused: props.paused });
  return (
    <div class="release-actions">
      <fieldset class="actions">
        <legend class="visually-hidden">Release actions</legend>
        {actions.map((action) => (
          <button
            key={action}
            type="button"
            class={action === 'abort' || action === 'rollback' ? 'danger' : ''}
            data-testid={`action-${action}`}
            disabled={busy !== undefined}
            title={EXPLAIN[action]}
            onClick={() => (needsConfirmation(environment, policy) ? setAsking(action) : void run(action))}
          >
            {busy === action ? `${LABEL[action]}…` : LABEL[action]}
          </button>
        ))}
      </fieldset>
      {asking !== undefined && (
        <ConfirmDialog
          title={`${LABEL[asking]} in ${environment}?`}
          confirmLabel={`${LABEL[asking]} in ${environment}`}
          danger={asking === 'abort' || asking === 'rollback'}
          onConfirm={() => void run(asking)}
          onCancel={() => setAsking(undefined)}
        >
          <p>
            {service} in <strong>{environment}</strong>: {EXPLAIN[asking]}
          </p>
        </ConfirmDialog>
      )}
      {lines.length > 0 && (
        <pre class="log" data-testid="rollback-progress" aria-live="polite">
          {lines.join('\n')}
        </pre>
      )}
      {result !== undefined && 'ok' in result && (
        <p role="status" class="muted" data-testid="action-result">
          {result.ok}
        </p>
      )}
      {result !== undefined && 'error' in result && <ErrorBox error={result.error} />}
    </div>
  );
}
