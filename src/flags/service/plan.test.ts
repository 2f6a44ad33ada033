import { describe, expect, it } from 'vitest';
import type { FlagDefinition } from '../engine/types.js';
import { diffValues, planEnvironment } from './plan.js';
import { ReplayGuard, signWebhook } from './signature.js';
import type { FlagDocument } from './types.js';

const flag = (extra: Partial<FlagDefinition> = {}): FlagDefinition => ({
  type: 'boolean',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  enabled: true,
  ...extra,
});

const server = (flags: Record<string, FlagDefinition>, segments = {}): FlagDocument => ({
  service: 'shop',
  environment: 'prod',
  version: 7,
  etag: '"abc"',
  definition: { service: 'shop', environment: 'prod', segments, flags },
});

describe('a flag plan', () => {
  it('lists creates, field-level updates and deletes of flags and segments', () => {
    const plan = planEnvironment(server({ a: flag(), gone: flag() }, { staff: { include: ['al'] } }), {
      flags: { a: flag({ enabled: false }), b: flag() },
      segments: { staff: { include: ['al', 'bo'] } },
    });
    expect(plan.changes).toEqual([
      {
        kind: 'flag',
        key: 'a',
        op: 'update',
        fields: [{ op: '~', path: 'enabled', before: true, after: false }],
      },
      {
        kind: 'flag',
        key: 'b',
        op: 'create',
        fields: expect.arrayContaining([{ op: '+', path: 'type', after: 'boolean' }]),
      },
      { kind: 'flag', key: 'gone', op: 'delete', fields: expect.any(Array) },
      { kind: 'segment', key: 'staff', op: 'update', fields: [{ op: '+', path: 'include[1]', after: 'bo' }] },
    ]);
    expect([plan.version, plan.etag]).toEqual([7, '"abc"']);
  });

  it('keeps a kill switch pulled on the server, with its variant if the file still has it', () => {
    const plan = planEnvironment(server({ a: flag({ killed: true, killVariant: 'on' }) }), {
      flags: { a: flag() },
    });
    expect(plan.changes).toEqual([]);
    expect(plan.keptKills).toEqual(['a']);
    expect(plan.desired.flags.a).toMatchObject({ killed: true, killVariant: 'on' });
  });

  it('ignores key order, and names odd keys readably', () => {
    expect(diffValues({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }, '')).toEqual([]);
    expect(diffValues({ 'x.y': 1 }, { 'x.y': 2 }, 'metadata')).toEqual([
      { op: '~', path: 'metadata["x.y"]', before: 1, after: 2 },
    ]);
  });
});

describe('webhook signatures', () => {
  it('cover the timestamp and the body', () => {
    const a = signWebhook('whsec_k', '1700000000', '{"trigger":"t"}');
    expect(a).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signWebhook('whsec_k', '1700000001', '{"trigger":"t"}')).not.toBe(a);
    expect(signWebhook('whsec_k', '1700000000', '{"trigger":"u"}')).not.toBe(a);
    expect(signWebhook('whsec_k', '1700000000', Buffer.from('{"trigger":"t"}'))).toBe(a);
  });

  it('are accepted once within five minutes, and forgotten after', () => {
    const guard = new ReplayGuard();
    expect(guard.accept('s1', 0)).toBe(true);
    expect(guard.accept('s1', 299_000)).toBe(false);
    expect(guard.accept('s2', 299_000)).toBe(true);
    expect(guard.accept('s1', 301_000)).toBe(true);
  });
});
