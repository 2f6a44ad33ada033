/**
 * A map with a maximum size that forgets the least recently used entry to make room: the bound
 * on every cache whose keys come from outside (ADR 0010, "bounded everything"). A `Map` keeps
 * insertion order, so moving an entry to the end on use makes its first key the least recent one.
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();

  /** @param max Entries kept at most (a positive integer). */
  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`an LRU cache holds at least 1 entry, not ${max}`);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value, marked as just used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** The value without marking it used. */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** Stores the value as the most recently used; evicts the least recently used one when full. */
  set(key: K, value: V): this {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    return this;
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Keys from the least to the most recently used. */
  keys(): IterableIterator<K> {
    return this.#entries.keys();
  }
}
