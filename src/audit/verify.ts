import type { Kysely } from 'kysely';
import type { Database } from '../store/index.js';
import { eventHash, GENESIS_HASH } from './canonical.js';
import { rowToEvent } from './rows.js';
import type { VerifyResult } from './types.js';

type Problem = Extract<VerifyResult, { ok: false }>['firstBad']['problem'];

/**
 * Walks the chain in seq order, a batch at a time (memory stays flat however long the trail),
 * and reports the first event that does not fit:
 * - `missing`: a seq is skipped, or the head row records more events than there are (the
 *   newest ones were deleted);
 * - `altered`: an event's content no longer matches its hash;
 * - `relinked`: an event's own hash is right but it does not follow the event before it (events
 *   were inserted, reordered or re-hashed), or events exist beyond the recorded head.
 *
 * Reads the head first and walks only up to it, so events appended meanwhile do not count.
 */
export async function verifyChain(db: Kysely<Database>, batchSize = 500): Promise<VerifyResult> {
  const head = await readHead(db);
  let good = 0;
  let prevHash = GENESIS_HASH;
  let lastId: string | undefined;
  const fail = (seq: number, problem: Problem, message: string, id?: string): VerifyResult => ({
    ok: false,
    events: good,
    firstBad: { seq, problem, ...(id === undefined ? {} : { id }) },
    message,
  });

  for (;;) {
    let query = db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', good)
      .orderBy('seq')
      .limit(batchSize);
    if (head !== undefined) query = query.where('seq', '<=', head.seq);
    const rows = await query.execute();
    for (const row of rows) {
      const expected = good + 1;
      if (row.seq !== expected) {
        const range = row.seq - expected === 1 ? `#${expected}` : `#${expected}–#${row.seq - 1}`;
        return fail(
          expected,
          'missing',
          `event ${range} is missing: the trail jumps from #${good} to #${row.seq}`,
        );
      }
      const event = rowToEvent(row, true);
      if (event === undefined || eventHash(event) !== row.hash) {
        return fail(
          row.seq,
          'altered',
          `event #${row.seq} (${row.id}) was altered: its content does not match its hash`,
          row.id,
        );
      }
      if (row.prev_hash !== prevHash) {
        const before = good === 0 ? 'the start of the trail' : `event #${good}`;
        return fail(
          row.seq,
          'relinked',
          `event #${row.seq} (${row.id}) was relinked: it does not follow ${before}, so events before it were removed, inserted or rewritten`,
          row.id,
        );
      }
      good = row.seq;
      prevHash = row.hash;
      lastId = row.id;
    }
    if (rows.length < batchSize) break;
  }

  if (head === undefined) {
    return fail(
      good + 1,
      'missing',
      `the audit head record is missing, so the deletion of the newest events cannot be ruled out (the ${good} events present link correctly)`,
    );
  }
  if (good < head.seq) {
    const range = head.seq === good + 1 ? `#${head.seq}` : `#${good + 1}–#${head.seq}`;
    return fail(
      good + 1,
      'missing',
      `event ${range} is missing: the audit head records ${head.seq} events but the trail ends at #${good} (the newest events were deleted)`,
    );
  }
  if (good > 0 && prevHash !== head.hash) {
    return fail(
      good,
      'altered',
      `event #${good} (${lastId}) was altered: it does not match the hash the audit head recorded for it`,
      lastId,
    );
  }
  // Max first, then the head: an append committing in between can only make the head newer.
  const newest = await db
    .selectFrom('audit_events')
    .select((e) => e.fn.max('seq').as('seq'))
    .executeTakeFirst();
  const headNow = await readHead(db);
  if (headNow !== undefined && newest?.seq != null && newest.seq > headNow.seq) {
    return fail(
      headNow.seq + 1,
      'relinked',
      `event #${headNow.seq + 1} lies beyond the recorded audit head (#${headNow.seq}): it was added without going through Flowline`,
    );
  }
  return { ok: true, events: good, headHash: prevHash };
}

function readHead(db: Kysely<Database>) {
  return db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
}
