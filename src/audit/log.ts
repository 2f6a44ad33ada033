import type { ExpressionBuilder } from 'kysely';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { type Database, isUniqueViolation, type Store, type WriteTx } from '../store/index.js';
import { eventHash, GENESIS_HASH } from './canonical.js';
import { matchesPattern, textPattern } from './pattern.js';
import { redactSecrets, scrubSecrets, toPlainJson } from './redact.js';
import { rowToEvent } from './rows.js';
import type { AuditEvent, AuditFilter, AuditInput, AuditLog, Where } from './types.js';
import { verifyChain } from './verify.js';

const ACTOR_KINDS = new Set(['token', 'user', 'ci']);
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;
/** Rows read per query while a glob filter picks its matches. */
const GLOB_PAGE = 500;
/** Appends that lose a race retry; with SQLite's up-front write lock they never need to. */
const MAX_ATTEMPTS = 10;

/** Thrown inside an append transaction when another writer moved the head first. */
class HeadMoved extends Error {}

/**
 * The audit trail over the store: every event hash-chained to the one before, appended under
 * the store's write lock so two processes cannot fork the chain.
 */
export function createAuditLog(deps: { store: Store; clock: Clock }): AuditLog {
  const { store, clock } = deps;

  const appendIn = async (tx: WriteTx, input: AuditInput): Promise<AuditEvent> => {
    const head = await tx
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
    // Without a head row (someone deleted it) continue from the newest event; verify reports it.
    const last =
      head ??
      (await tx
        .selectFrom('audit_events')
        .select(['seq', 'hash'])
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst());
    const now = clock.now();
    const fields = {
      seq: (last?.seq ?? 0) + 1,
      id: newId('evt', now),
      at: now.toISOString(),
      ...prepare(input),
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    const event: AuditEvent = { ...fields, hash: eventHash(fields) };
    await tx
      .insertInto('audit_events')
      .values({
        seq: event.seq,
        id: event.id,
        at: event.at,
        actor_kind: event.actor.kind,
        actor_name: event.actor.name,
        action: event.action,
        target: event.target,
        where_json: JSON.stringify(event.where),
        details_json: JSON.stringify(event.details),
        prev_hash: event.prevHash,
        hash: event.hash,
      })
      .execute();
    if (head !== undefined) {
      const moved = await tx
        .updateTable('audit_head')
        .set({ seq: event.seq, hash: event.hash })
        .where('id', '=', 1)
        .where('seq', '=', head.seq)
        .executeTakeFirst();
      if (moved.numUpdatedRows === 0n) throw new HeadMoved();
    }
    return event;
  };

  return {
    async append(input, tx) {
      if (tx !== undefined) return appendIn(tx, input);
      for (let attempt = 1; ; attempt++) {
        try {
          return await store.write((t) => appendIn(t, input));
        } catch (error) {
          const raced = error instanceof HeadMoved || isUniqueViolation(error);
          if (!raced || attempt >= MAX_ATTEMPTS) throw error;
        }
      }
    },

    async list(filter = {}) {
      const limit = limitOf(filter);
      const action = filter.action === undefined ? undefined : textPattern(filter.action);
      const target = filter.target === undefined ? undefined : textPattern(filter.target);
      const newestFirst = (before?: number) => {
        let query = store.db.selectFrom('audit_events').selectAll();
        if (action !== undefined) query = query.where((e) => startsWith(e, 'action', action.prefix));
        if (target !== undefined) query = query.where((e) => startsWith(e, 'target', target.prefix));
        if (filter.actor !== undefined) query = query.where('actor_name', '=', filter.actor);
        if (filter.since !== undefined) query = query.where('at', '>=', isoTime(filter.since, 'since'));
        if (filter.until !== undefined) query = query.where('at', '<', isoTime(filter.until, 'until'));
        // A glob's own paging (`before`) and the caller's page (`filter.before`): the lower wins.
        const below = Math.min(before ?? Number.POSITIVE_INFINITY, filter.before ?? Number.POSITIVE_INFINITY);
        if (Number.isFinite(below)) query = query.where('seq', '<', below);
        return query.orderBy('seq', 'desc');
      };
      if (action?.whole === undefined && target?.whole === undefined) {
        const rows = await newestFirst().limit(limit).execute();
        return rows.map((row) => rowToEvent(row, false));
      }
      // A glob is tested on each row (the same on SQLite and PostgreSQL, unlike GLOB or LIKE):
      // read the rows with its prefix newest first, a page at a time, until `limit` match.
      const found: AuditEvent[] = [];
      for (let before: number | undefined; ; ) {
        const rows = await newestFirst(before).limit(GLOB_PAGE).execute();
        for (const row of rows) {
          if (!matchesPattern(action, row.action) || !matchesPattern(target, row.target)) continue;
          found.push(rowToEvent(row, false));
          if (found.length === limit) return found;
        }
        if (rows.length < GLOB_PAGE) return found;
        before = rows.at(-1)?.seq;
      }
    },

    verify: (anchors) => verifyChain(store.db, anchors === undefined ? {} : { anchors }),

    tail: (afterSeq, limit) =>
      store.db
        .selectFrom('audit_events')
        .select(['seq', 'at', 'action', 'target'])
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute(),

    async lastSeq() {
      const row = await store.db
        .selectFrom('audit_events')
        .select('seq')
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row?.seq ?? 0;
    },

    async head() {
      const head = await store.db
        .selectFrom('audit_head')
        .select(['seq', 'hash'])
        .where('id', '=', 1)
        .executeTakeFirst();
      if (head === undefined) {
        throw new FlowlineError('FLOWLINE_AUDIT_CHAIN_BROKEN', 'The audit head record is missing.', {
          hint: 'Run `flowline audit verify`: the newest events may have been deleted.',
        });
      }
      return { seq: head.seq, hash: head.hash };
    },
  };
}

/** Validates the input and turns it into exactly what will be stored and hashed. */
function prepare(input: AuditInput): Pick<AuditEvent, 'actor' | 'action' | 'target' | 'where' | 'details'> {
  if (!ACTOR_KINDS.has(input.actor.kind) || input.actor.name === '' || input.action === '') {
    throw new FlowlineError(
      'FLOWLINE_INTERNAL',
      `An audit event needs an actor (token, user or ci) with a name and an action; got ${JSON.stringify({ actor: input.actor, action: input.action })}.`,
    );
  }
  let details: unknown;
  try {
    details = redactSecrets(toPlainJson(input.details ?? {}));
  } catch (error) {
    throw new FlowlineError(
      'FLOWLINE_INTERNAL',
      `The details of audit action ${input.action} are not JSON.`,
      {
        cause: error,
      },
    );
  }
  return {
    actor: { kind: input.actor.kind, name: scrubSecrets(input.actor.name) },
    action: input.action,
    target: scrubSecrets(input.target),
    where: toPlainJson(input.where) as Where,
    details: details as Record<string, unknown>,
  };
}

/** Case-sensitive prefix match that works the same on SQLite and PostgreSQL (LIKE does not). */
function startsWith(
  e: ExpressionBuilder<Database, 'audit_events'>,
  column: 'action' | 'target',
  prefix: string,
) {
  return e(e.fn<string>('substr', [e.ref(column), e.lit(1), e.val(prefix.length)]), '=', prefix);
}

function isoTime(value: string, field: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new FlowlineError(
      'FLOWLINE_REQUEST_INVALID',
      `\`${field}\` is not a time: ${JSON.stringify(value)}.`,
      {
        hint: 'Give an ISO-8601 time, e.g. 2026-11-21 or 2026-11-21T09:00:00Z.',
        location: { path: field },
      },
    );
  }
  return new Date(ms).toISOString();
}

function limitOf(filter: AuditFilter): number {
  const limit = filter.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new FlowlineError(
      'FLOWLINE_REQUEST_INVALID',
      `\`limit\` must be a whole number from 1 to ${MAX_LIMIT}.`,
      {
        location: { path: 'limit' },
      },
    );
  }
  return limit;
}
