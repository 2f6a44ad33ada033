import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LruCache } from './lru.js';

describe('LruCache', () => {
  it('evicts the least recently used entry, where reading counts as use and peeking does not', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1).set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect([...cache.keys()]).toEqual(['a', 'c']);
    expect(cache.peek('a')).toBe(1); // does not save a
    cache.set('d', 4);
    expect([...cache.keys()]).toEqual(['c', 'd']);
    expect(cache.has('a')).toBe(false);
  });

  it('replaces a value in place of evicting, and counts it as used', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1).set('b', 2).set('a', 10).set('c', 3);
    expect([...cache.keys()]).toEqual(['a', 'c']);
    expect(cache.get('a')).toBe(10);
  });

  it('refuses a size that could hold nothing', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
    expect(() => new LruCache(1.5)).toThrow(RangeError);
  });

  it('never holds more than its maximum, under a flood of distinct keys', () => {
    const cache = new LruCache<number, number>(100);
    for (let i = 0; i < 100_000; i++) cache.set(i, i);
    expect(cache.size).toBe(100);
    expect([...cache.keys()][0]).toBe(99_900);
  });

  it('agrees with a plain model of recency for any sequence of operations', () => {
    type Op = { kind: 'get' | 'set' | 'delete' | 'peek'; key: number };
    const op = fc.record({
      kind: fc.constantFrom<Op['kind']>('get', 'set', 'delete', 'peek'),
      key: fc.integer({ min: 0, max: 9 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (max, ops) => {
        const cache = new LruCache<number, number>(max);
        let model: [number, number][] = []; // least recent first
        ops.forEach(({ kind, key }, step) => {
          const at = model.findIndex(([k]) => k === key);
          if (kind === 'set') {
            if (at >= 0) model.splice(at, 1);
            model.push([key, step]);
            if (model.length > max) model = model.slice(1);
            cache.set(key, step);
          } else if (kind === 'get') {
            const entry = at >= 0 ? model.splice(at, 1)[0] : undefined;
            if (entry !== undefined) model.push(entry);
            expect(cache.get(key)).toBe(entry?.[1]);
          } else if (kind === 'peek') {
            expect(cache.peek(key)).toBe(at >= 0 ? model[at]?.[1] : undefined);
          } else {
            if (at >= 0) model.splice(at, 1);
            expect(cache.delete(key)).toBe(at >= 0);
          }
          expect([...cache.keys()]).toEqual(model.map(([k]) => k));
        });
      }),
    );
  });
});
