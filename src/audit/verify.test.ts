import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEventRow } from '../store/index.js';
import { tempStore } from '../store/testing.js';
import { eventHash, GENESIS_HASH } from './canonical.js';
import { createAuditLog } from './index.js';
import type { AuditHead, AuditLog } from './types.js';
import { verifyChain } from './verify.js';

let t: Awaited<ReturnType<typeof tempStore>>;
let audit: AuditLog;
let raw: Database.Database;

beforeEach(async () => {
  t = await tempStore();
  audit = createAuditLog({ store: t.store, clock: t.clock });
  for (let i = 1; i <= 10; i++) {
    await audit.append({
      actor: { kind: 'user', name: 'alice' },
      action: 'deploy.start',
      target: `env:shop/e${i}`,
      where: { host: 'laptop' },
      details: { n: i },
    });
    t.clock.advance(1000);
  }
  // A second connection to the same file, as someone with write access to .flowline/ would use.
  raw = new Database(t.file);
});
afterEach(async () => {
  raw.close();
  await t.cleanup();
});

const idOf = (seq: number) =>
  raw.prepare('select id from audit_events where seq = ?').pluck().get(seq) as string;

/** Rewrites an event's action and recomputes its own hash, as a careful tamperer would. */
function rewriteAndRehash(seq: number, action: string): void {
  raw.prepare('update audit_events set action = ? where seq = ?').run(action, seq);
  const row = raw.prepare('select * from audit_events where seq = ?').get(seq) as AuditEventRow;
  const hash = eventHash({
    seq: row.seq,
    id: row.id,
    at: row.at,
    actor: { kind: row.actor_kind, name: row.actor_name },
    action: row.action,
    target: row.target,
    where: JSON.parse(row.where_json),
    details: JSON.parse(row.details_json),
    prevHash: row.prev_hash,
  });
  raw.prepare('update audit_events set hash = ? where seq = ?').run(hash, seq);
}

/**
 * Rewrites an event, then recomputes its hash and the links and hashes of every event after it
 * and the head record: a whole-chain rewrite by someone with write access to the store.
 */
function rewriteAndRehashFrom(seq: number, action: string): void {
  rewriteAndRehash(seq, action);
  const rows = raw
    .prepare('select * from audit_events where seq > ? order by seq')
    .all(seq) as AuditEventRow[];
  let prev = raw.prepare('select hash from audit_events where seq = ?').pluck().get(seq) as string;
  for (const row of rows) {
    raw.prepare('update audit_events set prev_hash = ? where seq = ?').run(prev, row.seq);
    rewriteAndRehash(row.seq, row.action);
    prev = raw.prepare('select hash from audit_events where seq = ?').pluck().get(row.seq) as string;
  }
  raw.prepare('update audit_head set hash = ? where id = 1').run(prev);
}

describe('audit verify', () => {
  it('accepts an untouched chain and returns its head to anchor elsewhere', async () => {
    const newest = (await audit.list({ limit: 1 }))[0];
    expect(await audit.verify()).toEqual({ ok: true, events: 10, headHash: newest?.hash, anchored: 0 });
  });

  it('accepts an empty trail', async () => {
    raw.exec(`delete from audit_events; update audit_head set seq = 0, hash = '${GENESIS_HASH}'`);
    expect(await audit.verify()).toMatchObject({ ok: true, events: 0 });
  });

  it('finds an event whose content was changed', async () => {
    raw.prepare("update audit_events set action = 'deploy.rollback' where seq = 4").run();
    expect(await audit.verify()).toEqual({
      ok: false,
      code: 'FLOWLINE_AUDIT_CHAIN_BROKEN',
      events: 3,
      firstBad: { seq: 4, id: idOf(4), problem: 'altered' },
      message: `event #4 (${idOf(4)}) was altered: its content does not match its hash`,
    });
  });

  it('finds a details column that no longer parses', async () => {
    raw.prepare("update audit_events set details_json = '{oops' where seq = 2").run();
    expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { seq: 2, problem: 'altered' } });
    // Listing still works and shows the damage.
    const listed = await audit.list({ limit: 10 });
    expect(listed.find((e) => e.seq === 2)?.details).toHaveProperty('damaged');
  });

  it('finds a deleted event in the middle', async () => {
    raw.prepare('delete from audit_events where seq = 6').run();
    expect(await audit.verify()).toEqual({
      ok: false,
      code: 'FLOWLINE_AUDIT_CHAIN_BROKEN',
      events: 5,
      firstBad: { seq: 6, problem: 'missing' },
      message: 'event #6 is missing: the trail jumps from #5 to #7',
    });
  });

  it('finds a deleted first event', async () => {
    raw.prepare('delete from audit_events where seq in (1, 2)').run();
    expect(await audit.verify()).toMatchObject({
      ok: false,
      firstBad: { seq: 1, problem: 'missing' },
      message: 'event #1–#2 is missing: the trail jumps from #0 to #3',
    });
  });

  it('finds a rewritten event whose own hash was recomputed, at the event after it', async () => {
    rewriteAndRehash(4, 'deploy.rollback');
    expect(await audit.verify()).toMatchObject({
      ok: false,
      events: 4,
      firstBad: { seq: 5, id: idOf(5), problem: 'relinked' },
    });
  });

  it('finds the newest events deleted, thanks to the head record', async () => {
    raw.prepare('delete from audit_events where seq >= 9').run();
    expect(await audit.verify()).toMatchObject({
      ok: false,
      events: 8,
      firstBad: { seq: 9, problem: 'missing' },
      message: expect.stringContaining('the audit head records 10 events but the trail ends at #8'),
    });
  });

  it('finds the newest event rewritten and re-hashed, because it no longer matches the head', async () => {
    rewriteAndRehash(10, 'deploy.rollback');
    expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { seq: 10, problem: 'altered' } });
  });

  it('finds a deleted head record', async () => {
    raw.exec('delete from audit_head');
    expect(await audit.verify()).toMatchObject({
      ok: false,
      events: 10,
      firstBad: { seq: 11, problem: 'missing' },
      message: expect.stringContaining('audit head record is missing'),
    });
  });

  it('finds events added behind Flowline’s back', async () => {
    raw.exec(
      "insert into audit_events select seq + 1, id || 'x', at, actor_kind, actor_name, action, target, where_json, details_json, hash, hash from audit_events where seq = 10",
    );
    expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { seq: 11, problem: 'relinked' } });
  });

  it('cannot tell a truncation that also rewrote the head — only an external anchor can', async () => {
    const anchored = await audit.verify();
    raw.exec('delete from audit_events where seq = 10');
    raw.exec('update audit_head set seq = 9, hash = (select hash from audit_events where seq = 9)');
    const after = await audit.verify();
    expect(after).toMatchObject({ ok: true, events: 9 });
    expect(after).not.toEqual(anchored); // comparing with the anchored head exposes it
  });

  // Issue 9: the only anchor inside the store can be rewritten along with the chain.
  it('cannot tell a chain re-hashed after an edit, head included — only an external anchor can', async () => {
    const anchored = await audit.verify();
    rewriteAndRehashFrom(4, 'deploy.rollback');
    const after = await audit.verify();
    expect(after).toMatchObject({ ok: true, events: 10 });
    expect(after).not.toEqual(anchored);
  });

  it('walks the chain in batches', async () => {
    expect(await verifyChain(t.store.db, { batchSize: 3 })).toMatchObject({ ok: true, events: 10 });
    raw.prepare("update audit_events set target = 'x' where seq = 7").run();
    expect(await verifyChain(t.store.db, { batchSize: 3 })).toMatchObject({
      ok: false,
      firstBad: { seq: 7 },
    });
  });

  it('keeps appending after a tampered chain, and still reports the damage', async () => {
    raw.prepare('delete from audit_events where seq = 3').run();
    await audit.append({
      actor: { kind: 'user', name: 'bob' },
      action: 'x.y',
      target: 't',
      where: { host: 'h' },
    });
    expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { seq: 3, problem: 'missing' } });
  });
});

/** The chain's hash at `seq`, as a head saved elsewhere would hold it. */
const savedHead = (seq: number): AuditHead => ({
  seq,
  hash: raw.prepare('select hash from audit_events where seq = ?').pluck().get(seq) as string,
});

describe('audit verify against heads saved outside the store', () => {
  it('accepts a chain that contains every saved head, and counts them', async () => {
    const anchors = [{ seq: 0, hash: GENESIS_HASH }, savedHead(3), savedHead(10), savedHead(10)];
    expect(await audit.verify(anchors)).toMatchObject({ ok: true, events: 10, anchored: 3 });
  });

  it('still contains a saved head after the chain grew past it', async () => {
    const anchors = [savedHead(10)];
    await audit.append({
      actor: { kind: 'user', name: 'bob' },
      action: 'x.y',
      target: 't',
      where: { host: 'h' },
    });
    expect(await audit.verify(anchors)).toMatchObject({ ok: true, events: 11, anchored: 1 });
  });

  it('catches a deleted tail whose head record was rewritten to match, naming the saved head', async () => {
    const anchors = [savedHead(10)];
    raw.exec('delete from audit_events where seq >= 9');
    raw.exec('update audit_head set seq = 8, hash = (select hash from audit_events where seq = 8)');
    expect(await audit.verify()).toMatchObject({ ok: true }); // the defect of issue 9
    expect(await audit.verify(anchors)).toEqual({
      ok: false,
      code: 'FLOWLINE_AUDIT_ANCHOR_MISMATCH',
      events: 8,
      firstBad: { seq: 9, problem: 'truncated', anchor: anchors[0] },
      message:
        'the head saved at #10 lies past the end of the chain (#8): events #9–#10 were deleted after that head was saved',
    });
  });

  it('catches a chain re-hashed after an edit, at the oldest saved head after the edit', async () => {
    const anchors = [savedHead(2), savedHead(5), savedHead(10)];
    rewriteAndRehashFrom(4, 'deploy.rollback');
    expect(await audit.verify()).toMatchObject({ ok: true }); // the defect of issue 9
    const result = await audit.verify(anchors);
    expect(result).toMatchObject({
      ok: false,
      code: 'FLOWLINE_AUDIT_ANCHOR_MISMATCH',
      events: 4,
      firstBad: { seq: 5, id: idOf(5), problem: 'rewritten', anchor: anchors[1] },
    });
    expect(result.ok || result.message).toMatch(/^event #5 \(evt_\w+\) does not match the head saved at #5 /);
  });

  it('catches a rewrite of old history with an old saved head, even when the forged head was saved since', async () => {
    const old = savedHead(5);
    rewriteAndRehashFrom(4, 'deploy.rollback');
    const forged = savedHead(10); // a writer that saved the head after the rewrite
    expect(await audit.verify([forged])).toMatchObject({ ok: true, anchored: 1 });
    expect(await audit.verify([old, forged])).toMatchObject({
      ok: false,
      firstBad: { seq: 5, problem: 'rewritten', anchor: old },
    });
  });

  it('refuses a saved head that was never part of this chain', async () => {
    const foreign = { seq: 7, hash: 'ab'.repeat(32) };
    expect(await audit.verify([foreign])).toMatchObject({
      ok: false,
      code: 'FLOWLINE_AUDIT_ANCHOR_MISMATCH',
      firstBad: { seq: 7, problem: 'rewritten', anchor: foreign },
    });
    expect(await audit.verify([{ seq: 0, hash: foreign.hash }])).toMatchObject({
      ok: false,
      firstBad: { seq: 0, problem: 'rewritten' },
    });
  });

  it('reports damage inside the chain before a saved head further on', async () => {
    const anchors = [savedHead(10)];
    raw.prepare("update audit_events set target = 'x' where seq = 2").run();
    expect(await audit.verify(anchors)).toMatchObject({
      ok: false,
      code: 'FLOWLINE_AUDIT_CHAIN_BROKEN',
      firstBad: { seq: 2, problem: 'altered' },
    });
  });

  it('checks saved heads across batches', async () => {
    const anchors = [savedHead(4), savedHead(8)];
    expect(await verifyChain(t.store.db, { anchors, batchSize: 3 })).toMatchObject({ ok: true, anchored: 2 });
    rewriteAndRehashFrom(6, 'deploy.rollback');
    expect(await verifyChain(t.store.db, { anchors, batchSize: 3 })).toMatchObject({
      ok: false,
      firstBad: { seq: 8, problem: 'rewritten' },
    });
  });
});

describe('audit head', () => {
  it('is the seq and hash of the newest event', async () => {
    expect(await audit.head()).toEqual(savedHead(10));
  });

  it('is refused, coded, when the head record was deleted', async () => {
    raw.exec('delete from audit_head');
    await expect(audit.head()).rejects.toMatchObject({ code: 'FLOWLINE_AUDIT_CHAIN_BROKEN' });
  });
});
