import type { Actor, AuditLog, Where } from '../../audit/types.js';
import type { Clock } from '../../core/clock.js';
import { FlowlineError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Incidents } from '../../incidents/index.js';
import { type SecretBox, secretAad } from '../../secrets/index.js';
import { type FlagTriggersTable, isUniqueViolation, type Store, type WriteTx } from '../../store/index.js';
import type { FlagDefinition } from '../engine/types.js';
import type { FlagServiceInternals } from './service.js';
import {
  MAX_WEBHOOK_AGE_MS,
  newWebhookSecret,
  ReplayGuard,
  sameSignature,
  signatureError,
  signWebhook,
} from './signature.js';
import { flagTables, triggerInfo } from './store.js';
import type { AddTriggerInput, TriggerInfo, TriggerOutcome } from './types.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The part of an Alertmanager webhook (version 4) that triggers read. */
export interface AlertmanagerNotification {
  readonly status: string;
  readonly alerts: readonly { readonly status: string; readonly labels: Readonly<Record<string, string>> }[];
}

/** Flag triggers: kill a flag (or switch it to a fallback variant) when an alert fires. */
export interface FlagTriggers {
  /** Adds a trigger; a webhook trigger's secret is returned here once and never again. */
  add(input: AddTriggerInput, by: Actor, where: Where): Promise<{ trigger: TriggerInfo; secret?: string }>;
  list(service: string, environment: string): Promise<TriggerInfo[]>;
  remove(service: string, environment: string, name: string, by: Actor, where: Where): Promise<TriggerInfo>;
  /**
   * Fires or resolves every alertmanager trigger whose labels match an alert of the notification.
   * `alertKey`: the incident key of the notification's alert group (src/incidents `alertKey`), so
   * the incident a kill opens is the alert's own, and its resolution resolves it.
   */
  alertmanager(
    service: string,
    environment: string,
    notification: AlertmanagerNotification,
    where: Where,
    alertKey?: string,
  ): Promise<TriggerOutcome[]>;
  /** Verifies a signed webhook (signature, age, replay) and fires or resolves its trigger. */
  webhook(
    service: string,
    environment: string,
    request: { body: Buffer; signature: string | undefined; timestamp: string | undefined },
    where: Where,
  ): Promise<TriggerOutcome>;
  /**
   * Seals the webhook secrets that rows written before migration 0011 hold in plain text; answers
   * how many. Without such rows the key is not touched (no key file is created).
   */
  sealPlainSecrets(): Promise<number>;
}

export function createFlagTriggers(deps: {
  flags: FlagServiceInternals;
  store: Store;
  audit: AuditLog;
  clock: Clock;
  /** Seals webhook secrets at rest (AAD `trigger\0<service>\0<environment>\0<name>`). */
  box: SecretBox;
  /** Where a kill's incident is opened, and resolved when its alert is; absent: no incidents. */
  incidents?: Pick<Incidents, 'openAutomatic' | 'resolveAutomatic'> | undefined;
}): FlagTriggers {
  const { flags, store, audit, clock, box, incidents } = deps;
  const replays = new ReplayGuard();
  const aad = (row: Pick<FlagTriggersTable, 'service' | 'environment' | 'name'>) =>
    secretAad('trigger', row.service, row.environment, row.name);

  /** The HMAC key of a webhook trigger row: opened when sealed, as stored in a row from before 0011. */
  const hmacKey = async (row: FlagTriggersTable & { secret: string }): Promise<string> =>
    row.secret_key_id === null || row.secret_nonce === null
      ? row.secret
      : box.open({ ciphertext: row.secret, nonce: row.secret_nonce, keyId: row.secret_key_id }, aad(row));

  /**
   * Fires (`firing`) or resolves a trigger, in one transaction with the flag change it causes and
   * the incident that change opens (a kill degrades a feature) or resolves (its alert ended). The
   * incident's key is the alert group's when Alertmanager sent it, else the trigger's.
   */
  const act = async (
    service: string,
    environment: string,
    name: string,
    status: 'firing' | 'resolved',
    where: Where,
    alertKey?: string,
  ): Promise<TriggerOutcome> => {
    let outcome: TriggerOutcome['action'] = 'none';
    let flag = '';
    const actor: Actor = { kind: 'user', name: `trigger:${name}` };
    const key = alertKey ?? `trigger:${service}/${environment}/${name}`;
    const { document } = await flags.commit(service, environment, { actor, where }, async (current, tx) => {
      const row = await flagTables.trigger(tx, service, environment, name);
      if (row === undefined) return undefined;
      flag = row.flag;
      if (status === 'resolved' && alertKey === undefined)
        await incidents?.resolveAutomatic(key, `trigger ${name}: the alert resolved`, { actor, where }, tx);
      const definition = Object.hasOwn(current.definition.flags, row.flag)
        ? current.definition.flags[row.flag]
        : undefined;
      if (status === 'firing') {
        if (definition === undefined || definition.killed === true) return undefined; // someone else's kill stays theirs
        await setState(tx, row.id, 'fired', clock.now().toISOString());
        outcome = 'kill';
        const variant =
          row.variant !== null && Object.hasOwn(definition.variants, row.variant) ? row.variant : undefined;
        const killed: FlagDefinition = {
          ...definition,
          killed: true,
          ...(variant === undefined ? {} : { killVariant: variant }),
        };
        return {
          definition: { ...current.definition, flags: { ...current.definition.flags, [row.flag]: killed } },
          action: 'flag.kill',
          flag: row.flag,
          summary: `trigger ${name} killed ${row.flag} (serving ${variant ?? definition.killVariant ?? definition.defaultVariant})`,
          details: { trigger: name, kind: row.kind, status },
          afterWrite: async (tx, change) => {
            await incidents?.openAutomatic(
              {
                service,
                environment,
                title: `Trigger ${name} killed flag ${row.flag} in ${environment}`,
                source: 'flagTrigger',
                key,
                once: false,
                cause: { kind: 'flagChange', id: change.historyId },
                details: { trigger: name, flag: row.flag },
              },
              { actor, where },
              tx,
            );
          },
        };
      }
      if (row.state !== 'fired') return undefined;
      await setState(tx, row.id, 'idle', null);
      if (row.restore !== 1 || definition === undefined || definition.killed !== true) return undefined;
      outcome = 'restore';
      const { killed: _killed, killVariant: _variant, ...rest } = definition;
      return {
        definition: { ...current.definition, flags: { ...current.definition.flags, [row.flag]: rest } },
        action: 'flag.unkill',
        flag: row.flag,
        summary: `trigger ${name} lifted the kill switch of ${row.flag} (alert resolved)`,
        details: { trigger: name, kind: row.kind, status },
      };
    });
    return { trigger: name, flag, action: outcome, version: document.version };
  };

  return {
    async add(input, by, where) {
      const { service, environment, name, kind, flag } = input;
      const match = input.match ?? {};
      if (!NAME.test(name))
        throw invalid(
          'name',
          `The trigger name ${JSON.stringify(name)} is not valid.`,
          'Use 1–64 lower-case letters, digits, and . _ -, e.g. high-error-rate.',
        );
      if (kind === 'alertmanager' && Object.keys(match).length === 0)
        throw invalid(
          'match',
          'An alertmanager trigger needs at least one label to match.',
          'e.g. --match alertname=HighErrorRate',
        );
      if (kind === 'webhook' && Object.keys(match).length > 0)
        throw invalid(
          'match',
          'A webhook trigger matches no labels: the signed request names it.',
          'Leave --match out.',
        );
      const definition = (await flags.document(service, environment)).definition;
      const target = Object.hasOwn(definition.flags, flag) ? definition.flags[flag] : undefined;
      if (target === undefined) {
        throw new FlowlineError(
          'FLOWLINE_FLAG_NOT_FOUND',
          `No flag \`${flag}\` in the flags of ${service}/${environment}.`,
          {
            hint: 'Create the flag first (`flowline flags set` or `flowline flags apply`).',
          },
        );
      }
      if (input.variant !== undefined && !Object.hasOwn(target.variants, input.variant))
        throw invalid(
          'variant',
          `Flag \`${flag}\` has no variant \`${input.variant}\`.`,
          `Use one of ${Object.keys(target.variants).join(', ')}.`,
        );
      const secret = kind === 'webhook' ? newWebhookSecret() : null;
      const sealed =
        secret === null ? undefined : await box.seal(secret, aad({ service, environment, name }));
      const now = clock.now();
      const row: FlagTriggersTable = {
        id: newId('ftr', now),
        service,
        environment,
        name,
        kind,
        flag,
        match_json: JSON.stringify(match),
        variant: input.variant ?? null,
        restore: input.restore === true ? 1 : 0,
        secret: sealed?.ciphertext ?? null,
        secret_nonce: sealed?.nonce ?? null,
        secret_key_id: sealed?.keyId ?? null,
        state: 'idle',
        fired_at: null,
        created_at: now.toISOString(),
        created_by: by.name,
      };
      try {
        await store.write(async (tx) => {
          if ((await flagTables.trigger(tx, service, environment, name)) !== undefined) throw taken(name);
          await tx.insertInto('flag_triggers').values(row).execute();
          await audit.append(
            {
              actor: by,
              action: 'flag.trigger.add',
              target: `flag:${service}/${environment}/${flag}`,
              where,
              // Never the secret: the audit trail is readable by every read token.
              details: {
                service,
                environment,
                flag,
                name,
                kind,
                match,
                variant: row.variant,
                restore: row.restore === 1,
              },
            },
            tx,
          );
        });
      } catch (error) {
        throw isUniqueViolation(error) ? taken(name) : error;
      }
      return { trigger: triggerInfo(row), ...(secret === null ? {} : { secret }) };
    },

    async list(service, environment) {
      return (await flagTables.triggers(store.db, service, environment)).map(triggerInfo);
    },

    async remove(service, environment, name, by, where) {
      return store.write(async (tx) => {
        const row = await flagTables.trigger(tx, service, environment, name);
        if (row === undefined) {
          throw new FlowlineError(
            'FLOWLINE_TRIGGER_NOT_FOUND',
            `No trigger ${name} for ${service}/${environment}.`,
            {
              hint: `List them with \`flowline flags trigger list --service ${service} --env ${environment}\`.`,
            },
          );
        }
        await tx.deleteFrom('flag_triggers').where('id', '=', row.id).execute();
        await audit.append(
          {
            actor: by,
            action: 'flag.trigger.remove',
            target: `flag:${service}/${environment}/${row.flag}`,
            where,
            details: { service, environment, flag: row.flag, name, kind: row.kind },
          },
          tx,
        );
        return triggerInfo(row);
      });
    },

    async alertmanager(service, environment, notification, where, alertKey) {
      const rows = (await flagTables.triggers(store.db, service, environment)).filter(
        (r) => r.kind === 'alertmanager',
      );
      const outcomes: TriggerOutcome[] = [];
      for (const row of rows) {
        const match = JSON.parse(row.match_json) as Record<string, string>;
        const matching = notification.alerts.filter((alert) =>
          Object.entries(match).every(([label, value]) => alert.labels[label] === value),
        );
        if (matching.length === 0) continue;
        // One notification may carry resolved and firing alerts of a group: any firing one wins.
        const status = matching.some((alert) => alert.status === 'firing') ? 'firing' : 'resolved';
        outcomes.push(await act(service, environment, row.name, status, where, alertKey));
      }
      return outcomes;
    },

    async webhook(service, environment, request, where) {
      const { body, signature, timestamp } = request;
      if (signature === undefined || timestamp === undefined)
        throw signatureError(
          'The webhook is not signed: X-Flowline-Signature and X-Flowline-Timestamp are required.',
        );
      if (!/^\d{1,12}$/.test(timestamp)) throw signatureError('X-Flowline-Timestamp must be Unix seconds.');
      const now = clock.now().getTime();
      if (Math.abs(now - Number(timestamp) * 1000) > MAX_WEBHOOK_AGE_MS)
        throw signatureError(
          'The webhook timestamp is more than 5 minutes away from the server clock: refused as a possible replay.',
        );
      const message = parseMessage(body);
      const row =
        message === undefined
          ? undefined
          : await flagTables.trigger(store.db, service, environment, message.trigger);
      // Without a webhook trigger of that name, compare against a throwaway key: same work, same answer.
      const secret =
        row?.kind === 'webhook' && row.secret !== null
          ? await hmacKey({ ...row, secret: row.secret })
          : newWebhookSecret();
      const expected = signWebhook(secret, timestamp, body);
      if (!sameSignature(signature, expected) || message === undefined || row === undefined)
        throw signatureError('The webhook signature does not match.');
      if (!replays.accept(expected, now))
        throw signatureError('This signed webhook was already received: refused as a replay.');
      return act(service, environment, row.name, message.status, where);
    },

    async sealPlainSecrets() {
      const plain = await store.db
        .selectFrom('flag_triggers')
        .select('id')
        .where('secret', 'is not', null)
        .where('secret_key_id', 'is', null)
        .execute();
      let sealed = 0;
      for (const { id } of plain) {
        const row = await store.db
          .selectFrom('flag_triggers')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirst();
        if (row?.secret === null || row?.secret === undefined || row.secret_key_id !== null) continue;
        const envelope = await box.seal(row.secret, aad(row));
        // Only a row still plain: another process opening the store may have sealed it meanwhile.
        const done = await store.write((tx) =>
          tx
            .updateTable('flag_triggers')
            .set({ secret: envelope.ciphertext, secret_nonce: envelope.nonce, secret_key_id: envelope.keyId })
            .where('id', '=', id)
            .where('secret_key_id', 'is', null)
            .executeTakeFirst(),
        );
        sealed += Number(done.numUpdatedRows);
      }
      return sealed;
    },
  };
}

function parseMessage(body: Buffer): { trigger: string; status: 'firing' | 'resolved' } | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { trigger?: unknown; status?: unknown };
    if (typeof parsed.trigger !== 'string') return undefined;
    const status = parsed.status ?? 'firing';
    if (status !== 'firing' && status !== 'resolved') return undefined;
    return { trigger: parsed.trigger, status };
  } catch {
    return undefined;
  }
}

async function setState(
  tx: WriteTx,
  id: string,
  state: 'idle' | 'fired',
  firedAt: string | null,
): Promise<void> {
  await tx.updateTable('flag_triggers').set({ state, fired_at: firedAt }).where('id', '=', id).execute();
}

function invalid(path: string, message: string, hint: string): FlowlineError {
  return new FlowlineError('FLOWLINE_REQUEST_INVALID', message, { hint, location: { path } });
}

function taken(name: string): FlowlineError {
  return new FlowlineError('FLOWLINE_TRIGGER_NAME_TAKEN', `A trigger named ${name} already exists here.`, {
    hint: `Pick another name, or remove it first: flowline flags trigger remove ${name}`,
  });
}
