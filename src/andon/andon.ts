import type { AuditLog } from '../audit/index.js';
import { roleAllows } from '../auth/index.js';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { AndonEventsTable, AndonStateRow, Store, WriteTx } from '../store/index.js';
import type { Andon, AndonActor, AndonChange, AndonStatus } from './types.js';

export interface AndonDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** Announces each change once committed (`andon.pulled`, `andon.released`) to live displays. */
  readonly events?: Pick<EventBus, 'emit'>;
}

type Transition = {
  readonly action: AndonEventsTable['action'];
  readonly state: AndonStatus['state'];
  readonly cause: NonNullable<AndonStatus['cause']>;
  readonly runId: string | null;
  readonly reason: string;
  readonly by: Pick<AndonActor, 'actor' | 'where'>;
};

/** The andon cords over the store. See {@link Andon}. */
export function createAndon(deps: AndonDeps): Andon {
  const { store, audit, clock } = deps;

  const serviceId = async (db: WriteTx | Store['db'], service: string): Promise<string> => {
    const row = await db.selectFrom('services').select('id').where('name', '=', service).executeTakeFirst();
    if (row === undefined) {
      throw new FlowlineError('FLOWLINE_NOT_FOUND', `No service is named ${service}.`, {
        hint: 'A service is registered by its first `flowline run`; see them with `flowline services`.',
      });
    }
    return row.id;
  };

  const read = async (db: WriteTx | Store['db'], service: string): Promise<AndonStatus> => {
    const id = await serviceId(db, service);
    const row = await db
      .selectFrom('andon_state')
      .selectAll()
      .where('service_id', '=', id)
      .executeTakeFirst();
    return toStatus(service, row);
  };

  /** Applies a transition, records it and audits it, in one transaction; announces it after. */
  const transition = async (service: string, decide: (current: AndonStatus) => Transition | undefined) => {
    const change = await commit(service, decide);
    if (change.changed) announce(change.status);
    return change;
  };

  const announce = (status: AndonStatus) =>
    deps.events?.emit({
      type: status.state === 'red' ? 'andon.pulled' : 'andon.released',
      at: status.since ?? clock.now().toISOString(),
      service: status.service,
      subject: status.service,
      message: `${status.service}: the andon is ${status.state}${status.reason === null ? '' : ` (${status.reason})`}`,
      data: { state: status.state, cause: status.cause, runId: status.runId, actor: status.actor },
    });

  const commit = (service: string, decide: (current: AndonStatus) => Transition | undefined) =>
    store.write(async (tx): Promise<AndonChange> => {
      const id = await serviceId(tx, service);
      const current = await read(tx, service);
      const next = decide(current);
      if (next === undefined) return { status: current, changed: false };
      const at = clock.now().toISOString();
      const actor = next.by.actor.name;
      const since = current.state === next.state && current.since !== null ? current.since : at;
      const state = {
        state: next.state,
        cause: next.cause,
        run_id: next.runId,
        reason: next.reason,
        actor,
        since,
      };
      await tx
        .insertInto('andon_state')
        .values({ service_id: id, ...state })
        .onConflict((oc) => oc.column('service_id').doUpdateSet(state))
        .execute();
      await tx
        .insertInto('andon_events')
        .values({
          id: newId('andon', clock.now()),
          service_id: id,
          action: next.action,
          state: next.state,
          run_id: next.runId,
          reason: next.reason,
          actor,
          at,
        })
        .execute();
      await audit.append(
        {
          actor: next.by.actor,
          action: `andon.${next.action}`,
          target: `service:${service}`,
          where: next.by.where,
          details: {
            reason: next.reason,
            state: next.state,
            was: current.state,
            ...(next.runId === null ? {} : { runId: next.runId }),
          },
        },
        tx,
      );
      return { status: await read(tx, service), changed: true };
    });

  return {
    status: (service) => read(store.db, service),

    async list() {
      const services = await store.db.selectFrom('services').select(['id', 'name']).orderBy('name').execute();
      const rows = await store.db.selectFrom('andon_state').selectAll().execute();
      const byService = new Map(rows.map((row) => [row.service_id, row]));
      return services.map((svc) => toStatus(svc.name, byService.get(svc.id)));
    },

    async assertGreen(service) {
      const status = await read(store.db, service);
      if (status.state === 'green') return;
      const why =
        status.cause === 'run'
          ? `run ${status.runId} failed${status.reason ? ` (${status.reason})` : ''}`
          : `${status.actor} pulled the andon cord: ${status.reason}`;
      throw new FlowlineError(
        'FLOWLINE_ANDON_RED',
        `The trunk of ${service} is red since ${status.since}: ${why}. Promotions to protected environments are stopped.`,
        {
          hint:
            status.cause === 'run'
              ? `Fix the trunk: a passing trunk run turns it green. Or, with the admin role: flowline andon release --service ${service} --reason "…"`
              : `With the admin role: flowline andon release --service ${service} --reason "…"`,
        },
      );
    },

    async pull(service, reason, by) {
      checkReason(reason, 'pull');
      return transition(service, () => ({
        action: 'pull',
        state: 'red',
        cause: 'pull',
        runId: null,
        reason,
        by,
      }));
    },

    async release(service, reason, by) {
      checkReason(reason, 'release');
      if (!roleAllows(by.role, 'admin')) {
        throw new FlowlineError(
          'FLOWLINE_FORBIDDEN',
          `Releasing the andon cord needs the admin role; ${by.actor.name} has the ${by.role} role.`,
          {
            hint: 'Ask an admin to release it, or fix the trunk: a passing trunk run turns it green.',
          },
        );
      }
      return transition(service, (current) =>
        current.state === 'green'
          ? undefined
          : { action: 'release', state: 'green', cause: 'release', runId: current.runId, reason, by },
      );
    },

    async recordTrunkRun(run) {
      return transition(run.service, (current) => {
        if (!run.passed) {
          if (current.state === 'red') return undefined; // already stopped: the first failure stays the cause
          return {
            action: 'red',
            state: 'red',
            cause: 'run',
            runId: run.runId,
            reason: run.detail ?? 'the trunk run failed',
            by: run,
          };
        }
        // A cord pulled by hand is released by hand: a passing run does not overrule a person.
        if (current.state === 'green' || current.cause === 'pull') return undefined;
        return {
          action: 'green',
          state: 'green',
          cause: 'run',
          runId: run.runId,
          reason: 'a trunk run passed',
          by: run,
        };
      });
    },
  };
}

function checkReason(reason: string, verb: string): void {
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new FlowlineError('FLOWLINE_USAGE', `A ${verb} of the andon cord needs a reason.`, {
      hint: `Say why: flowline andon ${verb} --reason "…"`,
    });
  }
}

function toStatus(service: string, row: AndonStateRow | undefined): AndonStatus {
  if (row === undefined)
    return { service, state: 'green', cause: null, runId: null, reason: null, actor: null, since: null };
  return {
    service,
    state: row.state,
    cause: row.cause,
    runId: row.run_id,
    reason: row.reason,
    actor: row.actor,
    since: row.since,
  };
}
