import { describe, expect, it } from 'vitest';
import { arrowPath, findCycles } from './rules-util.js';

describe('findCycles', () => {
  it('finds each cycle once, as the path that closes it', () => {
    const graph: Record<string, string[]> = { a: ['b'], b: ['c', 'a', 'a'], c: ['b'], d: ['a'] };
    expect(findCycles(Object.keys(graph), (node) => graph[node] ?? [])).toEqual([
      ['b', 'c', 'b'],
      ['a', 'b', 'a'],
    ]);
  });

  it('walks a chain of a hundred thousand nodes without overflowing the call stack', () => {
    const n = 100_000;
    const nodes = Array.from({ length: n }, (_, i) => `s${i}`);
    const cycles = findCycles(nodes, (node) => [`s${(Number(node.slice(1)) + 1) % n}`]);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(n + 1);
  });

  it('stops at 100 cycles: a graph of back edges cannot make the rules quadratic', () => {
    const n = 5_000;
    const nodes = Array.from({ length: n }, (_, i) => `s${i}`);
    // A chain where every node also needs the first one: a cycle per node, each longer.
    const cycles = findCycles(nodes, (node) => {
      const i = Number(node.slice(1));
      return i + 1 < n ? [`s${i + 1}`, 's0'] : ['s0'];
    });
    expect(cycles).toHaveLength(100);
  });
});

describe('arrowPath', () => {
  it('shows a short cycle whole and a long one by its ends', () => {
    expect(arrowPath(['a', 'b', 'a'])).toBe('`a` → `b` → `a`');
    const long = Array.from({ length: 40_001 }, (_, i) => `s${i % 40_000}`);
    expect(arrowPath(long)).toBe(
      '`s0` → `s1` → `s2` → `s3` → `s4` → … (39991 more) → `s39996` → `s39997` → `s39998` → `s39999` → `s0`',
    );
  });
});
