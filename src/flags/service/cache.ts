import { LruCache } from '../../core/lru.js';
import type { ServedFlagSet } from './types.js';

/** How many flag sets the service keeps in memory. */
export interface ServedSetsLimits {
  /** Flag sets (version 1 or later) kept compiled, ready to serve. Default 1000. */
  readonly maxSets?: number;
  /** (service, environment) pairs known to have no flag set yet. Default 256. */
  readonly maxMissing?: number;
}

/**
 * The flag sets the service answers from memory. Anyone with a client token may ask for any
 * (service, environment) name, so nothing here grows with what is asked:
 * - sets that exist sit in an LRU of `maxSets`;
 * - pairs without a set (served as the empty set, version 0) sit in a small LRU of their own, so a
 *   flood of made-up names pushes out only other made-up names, never a real set;
 * - a read under way is shared by the requests that wait for it and dropped once it settles, so
 *   reads in flight are bounded by the requests in flight.
 */
export class ServedSets {
  readonly #sets: LruCache<string, ServedFlagSet>;
  readonly #missing: LruCache<string, ServedFlagSet>;
  readonly #loading = new Map<string, Promise<ServedFlagSet>>();
  /** The key last marked as used: the most recent entry of the LRU holding it (see #used). */
  #latest: string | undefined;

  constructor(limits: ServedSetsLimits = {}) {
    this.#sets = new LruCache(limits.maxSets ?? 1000);
    this.#missing = new LruCache(limits.maxMissing ?? 256);
  }

  /** The set from memory, or read with `read` (once for all concurrent callers) and kept. */
  get(key: string, read: () => Promise<ServedFlagSet>): ServedFlagSet | Promise<ServedFlagSet> {
    const cached = this.#used(key);
    if (cached !== undefined) return cached;
    const pending = this.#loading.get(key);
    if (pending !== undefined) return pending;
    const loading: Promise<ServedFlagSet> = read().then(
      (served) => {
        // Kept unless a change or an invalidation came meanwhile: then it may be an older version.
        if (this.#settle(key, loading)) this.#keep(key, served);
        return served;
      },
      (error: unknown) => {
        this.#settle(key, loading);
        throw error;
      },
    );
    this.#loading.set(key, loading);
    return loading;
  }

  /** Serves `served` from now on: a change this process just committed. */
  put(key: string, served: ServedFlagSet): void {
    this.#loading.delete(key);
    this.#keep(key, served);
  }

  /** The version held in memory (without counting as a use); undefined when none is. */
  version(key: string): number | undefined {
    return (this.#sets.peek(key) ?? this.#missing.peek(key))?.document.version;
  }

  /** Forgets the key (another process changed its set); a read under way is not kept either. */
  forget(key: string): void {
    this.#loading.delete(key);
    this.#sets.delete(key);
    this.#missing.delete(key);
  }

  /** What is held, for tests and diagnostics. */
  get sizes(): { sets: number; missing: number; loading: number } {
    return { sets: this.#sets.size, missing: this.#missing.size, loading: this.#loading.size };
  }

  /**
   * The set held for `key`, marked as just used. Marking reorders the LRU's map, so it is skipped
   * when `key` is already the most recently used: a server busy with one set (the usual case on
   * the evaluation routes) then answers from a plain lookup.
   */
  #used(key: string): ServedFlagSet | undefined {
    if (key === this.#latest) {
      const held = this.#sets.peek(key) ?? this.#missing.peek(key);
      if (held !== undefined) return held;
    }
    const held = this.#sets.get(key) ?? this.#missing.get(key);
    if (held !== undefined) this.#latest = key;
    return held;
  }

  /** Ends a read; true when it was still the current one for its key. */
  #settle(key: string, loading: Promise<ServedFlagSet>): boolean {
    if (this.#loading.get(key) !== loading) return false;
    this.#loading.delete(key);
    return true;
  }

  #keep(key: string, served: ServedFlagSet): void {
    if (served.document.version === 0) {
      this.#sets.delete(key);
      this.#missing.set(key, served);
    } else {
      this.#missing.delete(key);
      this.#sets.set(key, served);
    }
    this.#latest = key; // the most recent entry of its LRU now
  }
}
