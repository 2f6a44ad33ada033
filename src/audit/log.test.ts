import { readFile } from 'node:fs/promises';
import { setTimeout } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../store/index.js';
import { tempStore } from '../store/testing.js';
import { canonicalJson, createAuditLog, GENESIS_HASH } from './index.js';
import type { AuditInput } from './types.js';

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

const input = (over: Partial<AuditInput> = {}): AuditInput => ({
  actor: { kind: 'user', name: 'alice' },
  action: 'deploy.start',
  target: 'env:shop/production',
  where: { host: 'laptop', commit: 'abc123' },
  ...over,
});

describe('audit append', () => {
  it('chains events from the genesis hash with gap-free seq numbers', async () => {
    const audit = createAuditLog({ store: t.store, clock: t.clock });
    const first = await audit.append(input());
    t.clock.advance(1000);
    const second = await audit.append(input({ action: 'deploy.finish' }));
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, at: '2026-01-01T00:00:00.000Z' });
    expect(first.id).toMatch(/^evt_/);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash, at: '2026-01-01T00:00:01.000Z' });
    expect(await audit.verify()).toEqual({ ok: true, events: 2, headHash: second.hash, anchored: 0 });
  });

  it('redacts secrets before they are written', async () => {
    const audit = createAuditLog({ store: t.store, clock: t.clock });
    const secret = `flt_${'A'.repeat(43)}`;
    const event = await audit.append(
      input({
        target: `token:${secret}`,
        details: {
          password: 'hunter2',
          nested: { apiKey: 'k-1', list: [{ Authorization: 'Basic abc' }], note: `used ${secret} here` },
          header: 'Bearer eyJhbGciOi.payload.sig',
          keep: 'plain',
        },
      }),
    );
    expect(event.details).toEqual({
      password: '[redacted]',
      nested: {
        apiKey: '[redacted]',
        list: [{ Authorization: '[redacted]' }],
        note: 'used flt_[redacted] here',
      },
      header: 'Bearer [redacted]',
      keep: 'plain',
    });
    expect(event.target).toBe('token:flt_[redacted]');
    await t.store.close();
    const bytes = (await readFile(t.file)).toString('latin1');
    for (const leaked of [secret, 'hunter2', 'k-1', 'eyJhbGciOi']) expect(bytes).not.toContain(leaked);
    expect(bytes).toContain('deploy.start');
  });

  it('stores details as they read back, so the hash still verifies', async () => {
    const audit = createAuditLog({ store: t.store, clock: t.clock });
    await audit.append(
      input({ details: { when: new Date('2026-02-03T04:05:06Z'), gone: undefined, big: 10n } }),
    );
    const [event] = await audit.list();
    expect(event?.details).toEqual({ when: '2026-02-03T04:05:06.000Z', big: '10' });
    expect((await audit.verify()).ok).toBe(true);
  });

  it('commits the event with the caller’s transaction, or not at all', async () => {
    const audit = createAuditLog({ store: t.store, clock: t.clock });
    const failing = t.store.write(async (tx) => {
      await audit.append(input(), tx);
      throw new Error('deploy record failed');
    });
    await expect(failing).rejects.toThrow('deploy record failed');
    expect(await audit.list()).toEqual([]);
    await t.store.write(async (tx) => audit.append(input(), tx));
    expect(await audit.list()).toHaveLength(1);
  });

  it('keeps one unbroken chain when two Stores on the same file append concurrently', async () => {
    const other = await t.open();
    const logs = [t.store, other].map((store: Store) => createAuditLog({ store, clock: t.clock }));
    await Promise.all(
      logs.map(async (log, n) => {
        for (let i = 0; i < 50; i++) {
          await log.append(input({ action: `writer${n}.append`, target: `n:${i}` }));
          await setTimeout(Math.random() * 2); // as separate processes would, give the other a turn
        }
      }),
    );
    const result = await logs[0]?.verify();
    expect(result).toMatchObject({ ok: true, events: 100 });
    const events = await logs[1]?.list({ limit: 1000 });
    expect(events?.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 100 - i));
    // Both writers really interleaved.
    const order = (events ?? []).map((e) => e.action).reverse();
    const switches = order.filter((a, i) => i > 0 && a !== order[i - 1]).length;
    expect(switches).toBeGreaterThan(1);
  });

  it('refuses an event without an actor name or action', async () => {
    const audit = createAuditLog({ store: t.store, clock: t.clock });
    await expect(audit.append(input({ action: '' }))).rejects.toMatchObject({ code: 'FLOWLINE_INTERNAL' });
    await expect(audit.append(input({ actor: { kind: 'user', name: '' } }))).rejects.toMatchObject({
      code: 'FLOWLINE_INTERNAL',
    });
  });
});

describe('audit list', () => {
  async function seeded() {
    const audit = createAuditLog({ store: t.store, clock: t.clock });
    const rows: Array<[string, string, string]> = [
      ['token.create', 'token:ci', 'alice'],
      ['deploy.start', 'env:shop/staging', 'github-actions:octo'],
      ['tokens.purge', 'token:all', 'alice'],
      ['deploy.finish', 'env:shop/production', 'bob'],
      ['token.revoke', 'token:ci', 'bob'],
    ];
    for (const [action, target, name] of rows) {
      await audit.append(input({ action, target, actor: { kind: 'user', name } }));
      t.clock.advance(60_000);
    }
    return audit;
  }

  it.each([
    [{}, [5, 4, 3, 2, 1]],
    [{ limit: 2 }, [5, 4]],
    [{ action: 'token' }, [5, 3, 1]],
    [{ action: 'token.' }, [5, 1]],
    [{ action: 'Token' }, []],
    [{ target: 'env:shop/' }, [4, 2]],
    [{ action: 'token.*' }, [5, 1]],
    [{ action: 'token*' }, [5, 3, 1]],
    [{ action: '*.start' }, [2]],
    [{ action: 'deploy.*', limit: 1 }, [4]],
    [{ action: '*n.*e' }, [5, 1]],
    [{ action: 'token.?' }, []],
    [{ target: 'env:*/production' }, [4]],
    [{ action: 'token.*', target: '*:ci' }, [5, 1]],
    [{ actor: 'bob' }, [5, 4]],
    [{ since: '2026-01-01T00:02:00Z' }, [5, 4, 3]],
    [{ until: '2026-01-01T00:02:00Z' }, [2, 1]],
    [{ since: '2026-01-01T00:01:00Z', until: '2026-01-01T00:03:00Z', actor: 'alice' }, [3]],
  ])('filters %j newest first', async (filter, seqs) => {
    const audit = await seeded();
    expect((await audit.list(filter)).map((e) => e.seq)).toEqual(seqs);
  });

  it('finds glob matches among many rows that do not match, newest first', async () => {
    const audit = createAuditLog({ store: t.store, clock: t.clock });
    await audit.append(input({ action: 'deploy.fail' }));
    for (let i = 0; i < 1200; i++) await audit.append(input({ action: 'deploy.start' }));
    await audit.append(input({ action: 'env.fail' }));
    expect((await audit.list({ action: '*.fail' })).map((e) => [e.seq, e.action])).toEqual([
      [1202, 'env.fail'],
      [1, 'deploy.fail'],
    ]);
  });

  it('rejects a bad time or limit with the field named', async () => {
    const audit = createAuditLog({ store: t.store, clock: t.clock });
    await expect(audit.list({ since: 'yesterday' })).rejects.toMatchObject({
      code: 'FLOWLINE_REQUEST_INVALID',
      location: { path: 'since' },
    });
    await expect(audit.list({ limit: 0 })).rejects.toMatchObject({ location: { path: 'limit' } });
  });
});

describe('canonicalJson', () => {
  it('serialises equal values identically whatever their key order', () => {
    const a = canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' } });
    const b = canonicalJson({ a: { c: 'x', d: [1, { y: 2, z: 1 }] }, b: 1 });
    expect(a).toBe(b);
    expect(a).toBe('{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}');
  });
});
