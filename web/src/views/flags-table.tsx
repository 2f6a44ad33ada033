import { useState } from 'preact/hooks';
import type { FlagEnvironment, FlagHistoryEntry, FlagOverview, StaleFlag } from '../api/flags.js';
import { ConfirmDialog } from '../components/confirm-action.js';
import { StatusBadge } from '../components/status.js';
import { age, plural, when } from '../format.js';
import { namedProduction } from '../production.js';
import { flagIn, flagKeys, flagState, flagsHref, lastKill, RESERVED_KEYS, rulesText } from './flags-logic.js';

/** A kill switch moved by a person: `kill` or its undoing. */
export interface KillRequest {
  readonly key: string;
  readonly environment: string;
  readonly action: 'kill' | 'unkill';
}

/**
 * Flags × environments: each cell the flag's state in words (on, off, killed), what it serves by
 * default, how many rules, its evaluations, and the kill switch when the token may use it.
 */
export function FlagsTable(props: {
  readonly overview: FlagOverview;
  readonly kills: ReadonlyMap<string, readonly FlagHistoryEntry[]>;
  readonly selected: string | undefined;
  readonly environment: string | undefined;
  readonly canKill: (environment: string) => boolean;
  readonly onAct: (request: KillRequest) => Promise<void>;
}) {
  const { overview } = props;
  const [asking, setAsking] = useState<KillRequest | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const stale = new Map(overview.stale.map((s) => [s.flag, s]));
  const keys = flagKeys(overview);

  const request = (r: KillRequest) => {
    if (namedProduction(r.environment)) setAsking(r);
    else void run(r);
  };
  const run = async (r: KillRequest) => {
    setAsking(undefined);
    setBusy(`${r.key}\0${r.environment}`);
    try {
      await props.onAct(r);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <>
      <div class="flag-table-wrap">
        <table class="flag-table">
          <caption class="muted">
            {plural(keys.length, 'flag')} in {plural(overview.environments.length, 'environment')}
            {overview.stale.length > 0 && `, ${overview.stale.length} stale`}
          </caption>
          <thead>
            <tr>
              <th scope="col">flag</th>
              {overview.environments.map((env) => (
                <th scope="col" key={env.environment}>
                  <a href={flagsHref(overview.service, env.environment, { flag: props.selected })}>
                    {env.environment}
                  </a>{' '}
                  <span class="muted">v{env.version}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr
                key={key}
                data-testid={`flag-row-${key}`}
                aria-selected={key === props.selected ? true : undefined}
                class={key === props.selected ? 'selected' : undefined}
              >
                <th scope="row">
                  <a href={flagsHref(overview.service, props.environment, { flag: key })}>
                    <code>{key}</code>
                  </a>
                  <StaleMarker flag={key} stale={stale.get(key)} />
                </th>
                {overview.environments.map((env) => (
                  <Cell
                    key={env.environment}
                    env={env}
                    flagKey={key}
                    history={props.kills.get(env.environment)}
                    canKill={props.canKill(env.environment) && !RESERVED_KEYS.has(key)}
                    busy={busy === `${key}\0${env.environment}`}
                    onRequest={request}
                  />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {asking !== undefined && (
        <ConfirmDialog
          danger={asking.action === 'kill'}
          title={`${asking.action === 'kill' ? 'Kill' : 'Lift the kill of'} ${asking.key} in ${asking.environment}?`}
          confirmLabel={
            asking.action === 'kill' ? `Kill in ${asking.environment}` : `Unkill in ${asking.environment}`
          }
          onConfirm={() => void run(asking)}
          onCancel={() => setAsking(undefined)}
        >
          {asking.action === 'kill' ? (
            <p>
              Every evaluation of <code>{asking.key}</code> in <strong>{asking.environment}</strong> will
              serve its kill variant at once, whatever its rules say, until someone lifts the kill.
            </p>
          ) : (
            <p>
              <code>{asking.key}</code> in <strong>{asking.environment}</strong> will be evaluated by its
              rules again.
            </p>
          )}
        </ConfirmDialog>
      )}
    </>
  );
}

function StaleMarker(props: { readonly flag: string; readonly stale: StaleFlag | undefined }) {
  const { stale } = props;
  if (stale === undefined) return null;
  const why =
    stale.reason === 'expired'
      ? `expired ${stale.expires ?? ''}`.trim()
      : `serves ${stale.variant ?? '?'} everywhere, unchanged since ${stale.changedAt?.slice(0, 10) ?? '?'}`;
  return (
    <span
      class="tag flag-stale"
      data-testid={`flag-stale-${props.flag}`}
      title={`Remove from the code: ${why}`}
    >
      stale: {why}
    </span>
  );
}

function Cell(props: {
  readonly env: FlagEnvironment;
  readonly flagKey: string;
  readonly history: readonly FlagHistoryEntry[] | undefined;
  readonly canKill: boolean;
  readonly busy: boolean;
  readonly onRequest: (request: KillRequest) => void;
}) {
  const { env, flagKey } = props;
  const flag = flagIn(env.definition, flagKey);
  if (flag === undefined)
    return (
      <td class="muted" title={`${flagKey} is not defined in ${env.environment}`}>
        not defined
      </td>
    );
  const state = flagState(flag);
  const activity = env.flags[flagKey];
  const evaluations = Object.values(activity?.evaluations ?? {}).reduce((a, b) => a + b, 0);
  const kill =
    state === 'killed' && props.history !== undefined ? lastKill(props.history, flagKey) : undefined;
  const id = `${flagKey}-${env.environment}`;
  return (
    <td class={`flag-cell flag-${state}`}>
      <span data-testid={`flag-state-${id}`}>
        <StatusBadge status={state} />
      </span>{' '}
      <span class="muted">
        default{' '}
        <code>
          {flag.killed === true
            ? (flag.killVariant ?? flag.defaultVariant ?? '—')
            : (flag.defaultVariant ?? '—')}
        </code>
        {flag.killed === true && flag.killVariant !== undefined && ' (kill variant)'} · {rulesText(flag)}
        {flag.schedule !== undefined && flag.schedule.length > 0 && ' · scheduled'}
      </span>
      {state === 'killed' && (
        <div class="flag-killed-by" data-testid={`flag-killed-by-${id}`}>
          {kill === undefined ? (
            <span class="muted">killed (who: not in the last 200 changes)</span>
          ) : (
            <span title={when(kill.at)}>
              killed by {kill.by} {age(kill.at)}
            </span>
          )}
        </div>
      )}
      <div class="muted">
        {activity?.evaluatedAt === null || activity === undefined ? (
          'never evaluated'
        ) : (
          <span title={when(activity.evaluatedAt)}>
            {plural(evaluations, 'evaluation')}, last {age(activity.evaluatedAt)}
          </span>
        )}
      </div>
      {props.canKill && (
        <button
          type="button"
          class={state === 'killed' ? undefined : 'danger'}
          data-testid={`flag-kill-${id}`}
          aria-label={`${state === 'killed' ? 'Unkill' : 'Kill'} ${flagKey} in ${env.environment}`}
          disabled={props.busy}
          onClick={() =>
            props.onRequest({
              key: flagKey,
              environment: env.environment,
              action: state === 'killed' ? 'unkill' : 'kill',
            })
          }
        >
          {props.busy ? '…' : state === 'killed' ? 'Unkill' : 'Kill'}
        </button>
      )}
    </td>
  );
}
