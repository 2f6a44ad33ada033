import type { Kysely } from 'kysely';
import { counted } from '../core/plural.js';
import type { Database } from '../store/index.js';
import { eventHash, GENESIS_HASH } from './canonical.js';
import { rowToEvent } from './rows.js';
import type { AuditHead, VerifyResult } from './types.js';

type Failure = Extract<VerifyResult, { ok: false }>;
type Problem = Failure['firstBad']['problem'];

export interface VerifyOptions {
  /** Heads saved outside the store; each must lie within the chain and match it at its seq. */
  readonly anchors?: readonly AuditHead[];
  /** Rows read per query (tests lower it). */
  readonly batchSize?: number;
}

/**
 * Walks the chain in seq order, a batch at a time (memory stays flat however long the trail),
 * and reports the first event that does not fit:
 * - `missing`: a seq is skipped, or the head row records more events than there are (the
 *   newest ones were deleted);
 * - `altered`: an event's content no longer matches its hash;
 * - `relinked`: an event's own hash is right but it does not follow the event before it (events
 *   were inserted, reordered or re-hashed), or events exist beyond the recorded head;
 * - `rewritten`: the chain's hash at a saved head's seq is not the saved hash;
 * - `truncated`: a saved head lies past the end of the chain.
 *
 * The first three only catch tampering that left the store's own head record alone; the last two
 * catch a chain rewritten whole, head record included, because the saved heads live elsewhere.
 * Since every hash covers the one before it, a matching saved head vouches for all events up to it.
 *
 * Reads the head first and walks only up to it, so events appended meanwhile do not count.
 */
export async function verifyChain(db: Kysely<Database>, options: VerifyOptions = {}): Promise<VerifyResult> {
  const batchSize = options.batchSize ?? 500;
  const anchors = anchorsBySeq(options.anchors ?? []);
  const head = await readHead(db);
  let good = 0;
  let prevHash = GENESIS_HASH;
  let lastId: string | undefined;
  const fail = (
    seq: number,
    problem: Problem,
    message: string,
    id?: string,
    anchor?: AuditHead,
  ): VerifyResult => ({
    ok: false,
    code: anchor === undefined ? 'FLOWLINE_AUDIT_CHAIN_BROKEN' : 'FLOWLINE_AUDIT_ANCHOR_MISMATCH',
    events: good,
    firstBad: {
      seq,
      problem,
      ...(id === undefined ? {} : { id }),
      ...(anchor === undefined ? {} : { anchor }),
    },
    message,
  });
  /** A saved head at `seq` whose hash is not the chain's `hash` there, if any. */
  const mismatch = (seq: number, hash: string): AuditHead | undefined => {
    for (const saved of anchors.get(seq) ?? []) if (saved !== hash) return { seq, hash: saved };
    return undefined;
  };

  const genesis = mismatch(0, GENESIS_HASH);
  if (genesis !== undefined) {
    return fail(
      0,
      'rewritten',
      `the head saved at #0 (${short(genesis.hash)}) is not the start of a chain`,
      undefined,
      genesis,
    );
  }
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
      const saved = mismatch(row.seq, row.hash);
      if (saved !== undefined) {
        return fail(
          row.seq,
          'rewritten',
          `event #${row.seq} (${row.id}) does not match the head saved at #${row.seq} (saved ${short(saved.hash)}, the chain has ${short(row.hash)}): the events up to #${row.seq} were rewritten after that head was saved`,
          row.id,
          saved,
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
      `the audit head record is missing, so the deletion of the newest events cannot be ruled out (the ${counted(good, 'event')} present link correctly)`,
    );
  }
  if (good < head.seq) {
    const range = head.seq === good + 1 ? `#${head.seq}` : `#${good + 1}–#${head.seq}`;
    return fail(
      good + 1,
      'missing',
      `event ${range} is missing: the audit head records ${counted(head.seq, 'event')} but the trail ends at #${good} (the newest events were deleted)`,
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
  let beyond = 0; // the newest saved head (a loop: spreading a long anchor file would overflow)
  for (const seq of anchors.keys()) beyond = Math.max(beyond, seq);
  if (beyond > good) {
    const anchor = { seq: beyond, hash: [...(anchors.get(beyond) ?? [])][0] ?? '' };
    const range = beyond === good + 1 ? `event #${beyond} was` : `events #${good + 1}–#${beyond} were`;
    return fail(
      good + 1,
      'truncated',
      `the head saved at #${beyond} lies past the end of the chain (#${good}): ${range} deleted after that head was saved`,
      undefined,
      anchor,
    );
  }
  let anchored = 0;
  for (const hashes of anchors.values()) anchored += hashes.size;
  return { ok: true, events: good, headHash: prevHash, anchored };
}

/** Saved hashes per seq; two different hashes at one seq are kept (at most one can match). */
function anchorsBySeq(anchors: readonly AuditHead[]): Map<number, Set<string>> {
  const bySeq = new Map<number, Set<string>>();
  for (const { seq, hash } of anchors) {
    const hashes = bySeq.get(seq) ?? new Set<string>();
    hashes.add(hash);
    bySeq.set(seq, hashes);
  }
  return bySeq;
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;

function readHead(db: Kysely<Database>) {
  return db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
}
