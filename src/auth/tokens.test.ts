import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuditLog, createAuditLog } from '../audit/index.js';
import { FlowlineError } from '../core/errors.js';
import { tempStore } from '../store/testing.js';
import { createTokenService, type TokenService } from './index.js';

let t: Awaited<ReturnType<typeof tempStore>>;
let audit: AuditLog;
let tokens: TokenService;
const alice = { kind: 'user', name: 'alice' } as const;

beforeEach(async () => {
  t = await tempStore();
  audit = createAuditLog({ store: t.store, clock: t.clock });
  tokens = createTokenService({ store: t.store, audit, clock: t.clock, where: { host: 'test-host' } });
});
afterEach(async () => {
  await t.cleanup();
});

async function rejection(promise: Promise<unknown>): Promise<FlowlineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FlowlineError);
  return error as FlowlineError;
}

describe('token create', () => {
  it('returns the secret once, and lists the token without it', async () => {
    const { token, secret } = await tokens.create(
      { name: 'ci-bot', role: 'deploy', environments: ['staging'] },
      alice,
    );
    expect(secret).toMatch(/^flt_[A-Za-z0-9_-]{43}$/);
    expect(token).toEqual({
      id: expect.stringMatching(/^tok_/),
      name: 'ci-bot',
      prefix: secret.slice(0, 12),
      role: 'deploy',
      environments: ['staging'],
      createdBy: 'alice',
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(await tokens.list()).toEqual([token]);
    expect(JSON.stringify(await tokens.list())).not.toContain(secret.slice(12));
  });

  it('keeps names unique among active tokens, and frees a revoked name', async () => {
    await tokens.create({ name: 'ci', role: 'read' }, alice);
    const taken = await rejection(tokens.create({ name: 'ci', role: 'admin' }, alice));
    expect(taken.code).toBe('FLOWLINE_TOKEN_NAME_TAKEN');
    expect(taken.hint).toContain('flowline token revoke ci');
    await tokens.revoke('ci', alice);
    t.clock.advance(1000);
    await tokens.create({ name: 'ci', role: 'admin' }, alice);
    expect((await tokens.list({ includeRevoked: true })).map((x) => [x.name, x.role])).toEqual([
      ['ci', 'read'],
      ['ci', 'admin'],
    ]);
  });

  it('lets one of two processes creating the same name win', async () => {
    const other = createTokenService({ store: await t.open(), audit, clock: t.clock });
    const results = await Promise.allSettled([
      tokens.create({ name: 'race', role: 'read' }, alice),
      other.create({ name: 'race', role: 'read' }, alice),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({
      reason: { code: 'FLOWLINE_TOKEN_NAME_TAKEN' },
    });
  });

  it.each([
    [{ name: '', role: 'read' }, 'name'],
    [{ name: 'Upper', role: 'read' }, 'name'],
    [{ name: '-dash-first', role: 'read' }, 'name'],
    [{ name: 'a'.repeat(65), role: 'read' }, 'name'],
    [{ name: 'has space', role: 'read' }, 'name'],
    [{ name: 'ok', role: 'owner' }, 'role'],
    [{ name: 'ok', role: 'read', environments: [] }, 'environments'],
    [{ name: 'ok', role: 'client' }, 'environments'],
    [{ name: 'ok', role: 'read', environments: [''] }, 'environments[0]'],
    [{ name: 'ok', role: 'deploy', environments: ['staging', '../x'] }, 'environments[1]'],
    [{ name: 'ok', role: 'deploy', environments: ['Production'] }, 'environments[0]'],
    [{ name: 'ok', role: 'deploy', environments: ['a/b'] }, 'environments[0]'],
    [{ name: 'ok', role: 'deploy', environments: ['staging-'] }, 'environments[0]'],
    [{ name: 'ok', role: 'deploy', environments: [7] }, 'environments[0]'],
    [{ name: '../x', role: 'read' }, 'name'],
    [{ name: 'ok', role: 'read', expiresAt: 'soon' }, 'expiresAt'],
    [{ name: 'ok', role: 'read', expiresAt: '2025-12-31T00:00:00Z' }, 'expiresAt'],
  ])('refuses %j, naming the field', async (input, path) => {
    const error = await rejection(tokens.create(input as never, alice));
    expect(error.code).toBe('FLOWLINE_REQUEST_INVALID');
    expect(error.location?.path).toBe(path);
  });

  it.each(['a', 'ci-deploy', 'team.shop_ci-2', 'a'.repeat(64)])('accepts the name %s', async (name) => {
    await expect(tokens.create({ name, role: 'read' }, alice)).resolves.toBeDefined();
  });

  it('accepts environment names as flowline.yaml writes them, previews included', async () => {
    const environments = ['staging', 'pr-12', 'br-feature-x', `e${'1'.repeat(62)}`];
    const { token } = await tokens.create({ name: 'scoped', role: 'deploy', environments }, alice);
    expect(token.environments).toEqual(environments);
  });
});

describe('token revoke', () => {
  it('revokes by name or id, once', async () => {
    const a = await tokens.create({ name: 'a', role: 'read' }, alice);
    const b = await tokens.create({ name: 'b', role: 'read' }, alice);
    t.clock.advance(5000);
    expect(await tokens.revoke('a', alice)).toMatchObject({
      name: 'a',
      revokedAt: '2026-01-01T00:00:05.000Z',
    });
    expect(await tokens.revoke(b.token.id, alice)).toMatchObject({ name: 'b' });
    expect(await tokens.revoke(b.token.id, alice)).toMatchObject({ revokedAt: '2026-01-01T00:00:05.000Z' });
    expect(await tokens.list()).toEqual([]);
    expect((await audit.list({ action: 'token.revoke' })).map((e) => e.target)).toEqual([
      'token:b',
      'token:a',
    ]);
    await expect(tokens.authenticate(a.secret)).rejects.toMatchObject({ code: 'FLOWLINE_AUTH_REVOKED' });
  });

  it('reports an unknown token', async () => {
    const error = await rejection(tokens.revoke('ghost', alice));
    expect(error.code).toBe('FLOWLINE_TOKEN_NOT_FOUND');
    expect(error.message).toContain('ghost');
  });
});

describe('token audit events', () => {
  it('record name, role, scope and prefix — never the secret or its hash', async () => {
    const { token, secret } = await tokens.create(
      { name: 'deployer', role: 'deploy', environments: ['production'], expiresAt: '2026-06-01T00:00:00Z' },
      alice,
    );
    await tokens.revoke('deployer', alice);
    const events = await audit.list();
    expect(events.map((e) => [e.action, e.target, e.actor.name, e.where.host])).toEqual([
      ['token.revoke', 'token:deployer', 'alice', 'test-host'],
      ['token.create', 'token:deployer', 'alice', 'test-host'],
    ]);
    expect(events[1]?.details).toEqual({
      id: token.id,
      name: 'deployer',
      role: 'deploy',
      environments: ['production'],
      prefix: token.prefix,
      expiresAt: '2026-06-01T00:00:00.000Z',
    });
    const hash = (await t.store.db.selectFrom('api_tokens').select('secret_hash').executeTakeFirstOrThrow())
      .secret_hash;
    const auditRows = JSON.stringify(await t.store.db.selectFrom('audit_events').selectAll().execute());
    expect(auditRows).not.toContain(secret.slice(4));
    expect(auditRows).not.toContain(hash);
    await t.store.close();
    const onDisk = (await readFile(t.file)).toString('latin1');
    expect(onDisk).toContain('deployer');
    expect(onDisk).not.toContain(secret.slice(4));
  });
});

describe('authenticate', () => {
  it('resolves a secret to its principal', async () => {
    const { token, secret } = await tokens.create(
      { name: 'ci', role: 'deploy', environments: ['staging'] },
      alice,
    );
    expect(await tokens.authenticate(secret)).toEqual({
      tokenId: token.id,
      actor: { kind: 'token', name: 'ci' },
      role: 'deploy',
      environments: ['staging'],
    });
  });

  it.each([
    ['malformed', 'not-a-token-at-all'],
    ['unknown', `flt_${'Q'.repeat(43)}`],
    ['empty', ''],
  ])('refuses a %s secret without echoing it', async (_label, secret) => {
    const error = await rejection(tokens.authenticate(secret));
    expect(error.code).toBe('FLOWLINE_AUTH_INVALID');
    if (secret !== '') expect(JSON.stringify(error.toJSON())).not.toContain(secret);
  });

  it('refuses an expired token', async () => {
    const { secret } = await tokens.create(
      { name: 'short', role: 'read', expiresAt: '2026-01-01T01:00:00Z' },
      alice,
    );
    await expect(tokens.authenticate(secret)).resolves.toBeDefined();
    t.clock.set('2026-01-01T01:00:00Z');
    const error = await rejection(tokens.authenticate(secret));
    expect(error.code).toBe('FLOWLINE_AUTH_EXPIRED');
    expect(error.message).not.toContain(secret);
  });

  it('records use at most once a minute', async () => {
    const { secret } = await tokens.create({ name: 'ci', role: 'read' }, alice);
    const lastUsed = async () => (await tokens.list())[0]?.lastUsedAt;
    await tokens.authenticate(secret);
    expect(await lastUsed()).toBe('2026-01-01T00:00:00.000Z');
    t.clock.advance(59_000);
    await tokens.authenticate(secret);
    expect(await lastUsed()).toBe('2026-01-01T00:00:00.000Z');
    t.clock.advance(1_000);
    await tokens.authenticate(secret);
    expect(await lastUsed()).toBe('2026-01-01T00:01:00.000Z');
  });
});

describe('authenticate: revocation and expiry while tokens are kept verified', () => {
  /** Another server on the same database: its own store connection, audit log and token service. */
  async function otherServer() {
    const store = await t.open();
    return createTokenService({
      store,
      audit: createAuditLog({ store, clock: t.clock }),
      clock: t.clock,
      where: { host: 'other-host' },
    });
  }

  it('refuses a token revoked on another server once the revalidation bound (1 s) has passed', async () => {
    const { secret } = await tokens.create({ name: 'web', role: 'client', environments: ['prod'] }, alice);
    await tokens.authenticate(secret);
    await (await otherServer()).revoke('web', alice);
    // Within the bound this server may still trust its verification of 0 ms ago…
    t.clock.advance(999);
    await expect(tokens.authenticate(secret)).resolves.toMatchObject({ role: 'client' });
    // …and from the bound on it asks the store again.
    t.clock.advance(1);
    expect((await rejection(tokens.authenticate(secret))).code).toBe('FLOWLINE_AUTH_REVOKED');
  });

  it('measures the bound from the last look at the store, not from the first use', async () => {
    const { secret } = await tokens.create({ name: 'web', role: 'read' }, alice);
    for (let i = 0; i < 5; i++) {
      await tokens.authenticate(secret);
      t.clock.advance(600);
    }
    await (await otherServer()).revoke('web', alice);
    t.clock.advance(1000);
    expect((await rejection(tokens.authenticate(secret))).code).toBe('FLOWLINE_AUTH_REVOKED');
  });

  it('refuses a token revoked by this server at once', async () => {
    const { secret } = await tokens.create({ name: 'web', role: 'read' }, alice);
    await tokens.authenticate(secret);
    await tokens.revoke('web', alice);
    expect((await rejection(tokens.authenticate(secret))).code).toBe('FLOWLINE_AUTH_REVOKED');
  });

  it('refuses an expired token at its expiry, even when verified a moment before', async () => {
    const { secret } = await tokens.create(
      { name: 'short', role: 'read', expiresAt: '2026-01-01T00:00:00.500Z' },
      alice,
    );
    await tokens.authenticate(secret);
    t.clock.advance(499);
    await expect(tokens.authenticate(secret)).resolves.toBeDefined();
    t.clock.advance(1);
    expect((await rejection(tokens.authenticate(secret))).code).toBe('FLOWLINE_AUTH_EXPIRED');
  });

  it('asks the store again when the clock went back', async () => {
    const { secret } = await tokens.create({ name: 'web', role: 'read' }, alice);
    await tokens.authenticate(secret);
    await (await otherServer()).revoke('web', alice);
    t.clock.advance(-1);
    expect((await rejection(tokens.authenticate(secret))).code).toBe('FLOWLINE_AUTH_REVOKED');
  });

  it('keeps the scope and role of the token, whichever path answers', async () => {
    const { token, secret } = await tokens.create(
      { name: 'deployer', role: 'deploy', environments: ['staging'] },
      alice,
    );
    const expected = {
      tokenId: token.id,
      actor: { kind: 'token', name: 'deployer' },
      role: 'deploy',
      environments: ['staging'],
    };
    expect(await tokens.authenticate(secret)).toEqual(expected);
    expect(await tokens.authenticate(secret)).toEqual(expected);
  });
});
