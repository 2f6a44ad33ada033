import { describe, expect, it } from 'vitest';
import type { VerifiedToken } from './verified.js';
import { VerifiedTokens } from './verified.js';

const token = (checkedAtMs: number): VerifiedToken => ({
  principal: { tokenId: 'tok_1', actor: { kind: 'token', name: 'web' }, role: 'client', environments: ['p'] },
  name: 'web',
  expiresAt: null,
  expiresAtMs: null,
  checkedAtMs,
});

function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('VerifiedTokens', () => {
  it('trusts a verification for less than revalidateMs, then not at all', async () => {
    const cache = new VerifiedTokens({ revalidateMs: 1000 });
    await cache.verify('h', async () => token(0));
    expect(cache.fresh('h', 999)).toBeDefined();
    expect(cache.fresh('h', 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('shares one store read among concurrent requests for a token', async () => {
    const cache = new VerifiedTokens();
    let reads = 0;
    const read = deferred<VerifiedToken>();
    const lookups = [1, 2, 3].map(() =>
      cache.verify('h', () => {
        reads++;
        return read.promise;
      }),
    );
    read.resolve(token(0));
    expect(await Promise.all(lookups)).toHaveLength(3);
    expect(reads).toBe(1);
  });

  it('does not keep a read that was under way when a token was revoked', async () => {
    const cache = new VerifiedTokens();
    const read = deferred<VerifiedToken>();
    const lookup = cache.verify('h', () => read.promise);
    cache.forget('h');
    read.resolve(token(0));
    await lookup;
    expect(cache.fresh('h', 1)).toBeUndefined();
  });

  it('keeps no failed lookup: an unknown or revoked token is read again next time', async () => {
    const cache = new VerifiedTokens();
    await expect(cache.verify('h', () => Promise.reject(new Error('revoked')))).rejects.toThrow('revoked');
    expect(cache.size).toBe(0);
    await cache.verify('h', async () => token(5));
    expect(cache.fresh('h', 6)?.checkedAtMs).toBe(5);
  });

  it('holds at most maxEntries tokens', async () => {
    const cache = new VerifiedTokens({ maxEntries: 2 });
    for (const hash of ['a', 'b', 'c']) await cache.verify(hash, async () => token(0));
    expect(cache.size).toBe(2);
    expect(cache.fresh('a', 1)).toBeUndefined();
  });
});
