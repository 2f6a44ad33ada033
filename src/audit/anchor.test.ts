import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempStore } from '../store/testing.js';
import { GENESIS_HASH } from './canonical.js';
import {
  ANCHOR_INTERVAL_MS,
  createAnchorWriter,
  createAuditLog,
  parseAnchorFile,
  parseHead,
} from './index.js';
import type { AuditLog } from './types.js';

const HASH = 'ab'.repeat(32);

describe('parseHead', () => {
  it('reads <seq>:<hash> as `flowline audit head` prints it', () => {
    expect(parseHead(`12:${HASH}`)).toEqual({ seq: 12, hash: HASH });
    expect(parseHead(` 0:${GENESIS_HASH.toUpperCase()}\n`)).toEqual({ seq: 0, hash: GENESIS_HASH });
  });

  it.each(['x', '12', `-1:${HASH}`, `1.5:${HASH}`, '12:abc', `12:${HASH}:3`, `:${HASH}`])(
    'refuses %j with a coded error',
    (text) => {
      expect(() => parseHead(text)).toThrow(
        expect.objectContaining({ code: 'FLOWLINE_AUDIT_ANCHOR_INVALID' }),
      );
    },
  );
});

describe('parseAnchorFile', () => {
  it('reads every line, oldest first, and skips blank ones', () => {
    const text = `{"seq":1,"hash":"${HASH}","at":"2026-01-01T00:00:00.000Z"}\n\n{"seq":2,"hash":"${'cd'.repeat(32)}"}\n`;
    expect(parseAnchorFile(text, 'anchor.log')).toEqual([
      { seq: 1, hash: HASH },
      { seq: 2, hash: 'cd'.repeat(32) },
    ]);
  });

  it('names the line that is not a head instead of skipping it', () => {
    const text = `{"seq":1,"hash":"${HASH}"}\n{"seq":2,"hash":"nope"}\n`;
    expect(() => parseAnchorFile(text, 'anchor.log')).toThrow(
      expect.objectContaining({
        code: 'FLOWLINE_AUDIT_ANCHOR_INVALID',
        location: { file: 'anchor.log', line: 2 },
      }),
    );
    expect(() => parseAnchorFile('{"seq":1,"ha', 'anchor.log')).toThrow(/Line 1 of anchor.log/);
  });

  it('refuses a file without any head: it would verify nothing', () => {
    expect(() => parseAnchorFile('\n\n', 'anchor.log')).toThrow(
      expect.objectContaining({ code: 'FLOWLINE_AUDIT_ANCHOR_INVALID' }),
    );
  });
});

describe('the anchor writer', () => {
  let t: Awaited<ReturnType<typeof tempStore>>;
  let audit: AuditLog;
  let file: string;
  const logged: string[] = [];
  /** The writer's timer, driven by hand. */
  const timer = { ms: 0, tick: async () => {}, cancelled: false };
  const writer = (extra: { intervalMs?: number; file?: string } = {}) =>
    createAnchorWriter({
      audit,
      file,
      clock: t.clock,
      log: (line) => logged.push(line),
      every: (ms, tick) => {
        Object.assign(timer, { ms, tick, cancelled: false });
        return () => {
          timer.cancelled = true;
        };
      },
      ...extra,
    });
  const append = (n: number) =>
    audit.append({
      actor: { kind: 'user', name: 'alice' },
      action: 'x.y',
      target: `t${n}`,
      where: { host: 'h' },
    });
  const lines = async () => parseAnchorFile(await readFile(file, 'utf8'), file);

  beforeEach(async () => {
    t = await tempStore();
    audit = createAuditLog({ store: t.store, clock: t.clock });
    file = path.join(t.dir, 'audit-anchor.log');
    logged.length = 0;
    await append(1);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('saves the head at start, in a file created 0600, as one JSON line with the time', async () => {
    await writer().start();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const head = await audit.head();
    expect(await readFile(file, 'utf8')).toBe(
      `${JSON.stringify({ seq: 1, hash: head.hash, at: t.clock.now().toISOString() })}\n`,
    );
  });

  it('saves every minute, only when the head changed, and a last time at stop', async () => {
    const w = writer();
    await w.start();
    expect(timer.ms).toBe(ANCHOR_INTERVAL_MS);
    await timer.tick();
    expect(await lines()).toHaveLength(1); // unchanged: nothing appended
    await append(2);
    await append(3);
    await timer.tick();
    await timer.tick();
    expect((await lines()).map((h) => h.seq)).toEqual([1, 3]);
    await append(4);
    await w.stop();
    expect(timer.cancelled).toBe(true);
    expect((await lines()).map((h) => h.seq)).toEqual([1, 3, 4]);
    expect(await lines()).toContainEqual(await audit.head());
  });

  it('takes its interval from its deps', async () => {
    await writer({ intervalMs: 250 }).start();
    expect(timer.ms).toBe(250);
  });

  it('does not repeat the file’s last head after a restart', async () => {
    await writer().start();
    await writer().start();
    expect(await lines()).toHaveLength(1);
  });

  it('appends to what is there, starting a fresh line after a torn one', async () => {
    await writeFile(file, `{"seq":1,"hash":"${HASH}"}\n{"seq":2,"ha`);
    await writer().start();
    const text = await readFile(file, 'utf8');
    expect(text.split('\n')).toEqual([
      `{"seq":1,"hash":"${HASH}"}`,
      '{"seq":2,"ha',
      JSON.stringify({ seq: 1, hash: (await audit.head()).hash, at: t.clock.now().toISOString() }),
      '',
    ]);
  });

  it('yields heads that `verify` accepts, and that catch a chain rewritten since', async () => {
    const w = writer();
    await w.start();
    await append(2);
    await w.stop();
    expect(await audit.verify(await lines())).toMatchObject({ ok: true, anchored: 2 });
    const raw = new Database(t.file);
    raw.exec('delete from audit_events where seq = 2');
    raw.exec('update audit_head set seq = 1, hash = (select hash from audit_events where seq = 1)');
    raw.close();
    expect(await audit.verify(await lines())).toMatchObject({
      ok: false,
      code: 'FLOWLINE_AUDIT_ANCHOR_MISMATCH',
      firstBad: { seq: 2, problem: 'truncated' },
    });
  });

  it('logs and saves nothing while the head record is missing', async () => {
    const w = writer();
    await w.start();
    const raw = new Database(t.file);
    raw.exec('delete from audit_head');
    raw.close();
    await timer.tick();
    expect(await lines()).toHaveLength(1);
    expect(logged.join('\n')).toContain('cannot read the audit head');
  });

  it('refuses to start on a file it cannot open', async () => {
    const missing = path.join(t.dir, 'no-such-folder', 'anchor.log');
    await expect(writer({ file: missing }).start()).rejects.toMatchObject({
      code: 'FLOWLINE_SETTING_INVALID',
      message: expect.stringContaining('FLOWLINE_AUDIT_ANCHOR'),
    });
  });

  it('does nothing without a file', async () => {
    const w = createAnchorWriter({ audit, file: undefined, clock: t.clock });
    await w.start();
    await w.stop();
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
