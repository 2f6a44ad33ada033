import { LruCache } from '../core/lru.js';
import type { Principal } from './types.js';

/** How long and how many verified tokens a server keeps (docs/adr/0014-token-cache.md). */
export interface VerifiedTokensOptions {
  /**
   * How long a verification against the store is trusted, in ms (default 1000). It is the bound
   * on how late a revocation made elsewhere (the CLI on the same store, another server on a
   * shared database) takes effect here. Expiry does not depend on it: it is checked on every
   * request.
   */
  readonly revalidateMs?: number;
  /** Tokens kept at most (default 10,000); the least recently used one is dropped first. */
  readonly maxEntries?: number;
}

/** A token the store said was valid (known, not revoked) at `checkedAtMs`. */
export interface VerifiedToken {
  readonly principal: Principal;
  /** The token's name and expiry, for the refusal once it expires. */
  readonly name: string;
  readonly expiresAt: string | null;
  readonly expiresAtMs: number | null;
  /** When the store read began: whatever was revoked before then, the read saw. */
  readonly checkedAtMs: number;
}

/**
 * Tokens verified against the store, keyed by the secret's hash (the secret itself is never
 * kept), so a busy client costs one SHA-256 and a map lookup per request instead of a SQLite
 * query. Only valid tokens are kept: an unknown, revoked or malformed token is looked up every
 * time, as before, so nothing here grows with what strangers send.
 *
 * Concurrent lookups of one hash share one read. A token revoked in this process is forgotten at
 * once, and a read that was under way during the revocation is not kept (it may predate it).
 * Dashboard sessions (sessions.ts) are kept the same way, under the hash of their cookie.
 */
export class VerifiedTokens<T extends { readonly checkedAtMs: number } = VerifiedToken> {
  readonly revalidateMs: number;
  readonly #entries: LruCache<string, T>;
  readonly #reading = new Map<string, Promise<T>>();
  /** Bumped by every `forget`: a read started before it may have seen the token still valid. */
  #generation = 0;

  constructor(options: VerifiedTokensOptions = {}) {
    this.revalidateMs = options.revalidateMs ?? 1000;
    if (!(this.revalidateMs >= 0))
      throw new RangeError(`revalidateMs must be 0 or more, not ${this.revalidateMs}`);
    this.#entries = new LruCache(options.maxEntries ?? 10_000);
  }

  /**
   * The verification of `hash` if it is younger than `revalidateMs` at `nowMs`. A clock that went
   * back before the verification makes it stale too, so a clock step never extends trust.
   */
  fresh(hash: string, nowMs: number): T | undefined {
    // `peek`: recency is refreshed by each verification (every second for a token in use), so
    // the least recently verified token goes first without reordering the map on every request.
    const entry = this.#entries.peek(hash);
    if (entry === undefined) return undefined;
    const age = nowMs - entry.checkedAtMs;
    if (age >= 0 && age < this.revalidateMs) return entry;
    this.#entries.delete(hash);
    return undefined;
  }

  /**
   * Runs `read` (the store lookup, which throws for an unknown or revoked token) once for all
   * concurrent callers of `hash`, and keeps what it answers unless a revocation came meanwhile.
   */
  verify(hash: string, read: () => Promise<T>): Promise<T> {
    const pending = this.#reading.get(hash);
    if (pending !== undefined) return pending;
    const generation = this.#generation;
    const reading = read().then(
      (token) => {
        this.#reading.delete(hash);
        if (generation === this.#generation) this.#entries.set(hash, token);
        return token;
      },
      (error: unknown) => {
        this.#reading.delete(hash);
        throw error;
      },
    );
    this.#reading.set(hash, reading);
    return reading;
  }

  /** Drops `hash` (a token revoked by this process) and any read of any token under way. */
  forget(hash: string): void {
    this.#generation++;
    this.#entries.delete(hash);
    this.#reading.delete(hash);
  }

  /** Drops every entry and any read under way (a revocation this process made, for sessions). */
  forgetAll(): void {
    this.#generation++;
    this.#entries.clear();
    this.#reading.clear();
  }

  /** Tokens kept, for tests. */
  get size(): number {
    return this.#entries.size;
  }
}
