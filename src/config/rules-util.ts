import { isRecord } from './schema-common.js';
import type { PathSegment, RawIssue } from './source.js';

/**
 * Helpers for the cross-reference rules. The rules read the raw data, not the schema's output,
 * so they still run when the schema found problems elsewhere: a typo and a dangling reference
 * are reported in the same run. Anything of the wrong shape is skipped (the schema reports it).
 */

export type Path = readonly PathSegment[];

export interface Findings {
  readonly errors: RawIssue[];
  readonly warnings: RawIssue[];
}

/** The object at `value`, or an empty one when it is something else. */
export function rec(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

export function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function keys(value: unknown): string[] {
  return Object.keys(rec(value));
}

/** Reports every repeated string of `names` after its first occurrence. */
export function checkDuplicates(
  findings: Findings,
  names: readonly (string | undefined)[],
  pathOf: (index: number) => Path,
  what: string,
): void {
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (name === undefined) return;
    if (seen.has(name)) {
      findings.errors.push({
        code: 'duplicate_name',
        message: `${what} \`${name}\` is listed more than once`,
        path: pathOf(index),
        hint: `give each ${what} a different name, or remove the repeat`,
      });
    }
    seen.add(name);
  });
}

/** Names defined in a section: checked against in constant time, listed in hints. */
export interface Known {
  readonly names: readonly string[];
  has(name: string): boolean;
}

export function known(names: readonly string[]): Known {
  const set = new Set(names);
  return { names, has: (name) => set.has(name) };
}

/** Cycles reported per graph: each costs its length to describe, so a hostile graph stays linear. */
const MAX_CYCLES = 100;

/**
 * Finds cycles in a directed graph; each cycle once, as the path that closes it (`a, b, a`).
 * `next` lists a node's targets; targets that are not nodes are ignored (reported elsewhere).
 * The walk keeps its own stack, so a chain of forty thousand stages cannot overflow the call stack.
 */
export function findCycles(nodes: readonly string[], next: (node: string) => readonly string[]): string[][] {
  const nodeSet = new Set(nodes);
  const state = new Map<string, 'visiting' | 'done'>();
  /** Where each node being visited is on `path`. */
  const onPath = new Map<string, number>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const reported = new Set<string>();
  const frames: { node: string; targets: readonly string[]; index: number }[] = [];
  const enter = (node: string): void => {
    state.set(node, 'visiting');
    onPath.set(node, path.length);
    path.push(node);
    frames.push({ node, targets: next(node), index: 0 });
  };
  for (const root of nodes) {
    if (state.has(root)) continue;
    enter(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as (typeof frames)[number];
      if (frame.index >= frame.targets.length) {
        frames.pop();
        path.pop();
        onPath.delete(frame.node);
        state.set(frame.node, 'done');
        continue;
      }
      const target = frame.targets[frame.index++] as string;
      if (!nodeSet.has(target)) continue;
      const seen = state.get(target);
      if (seen === undefined) {
        enter(target);
      } else if (seen === 'visiting' && cycles.length < MAX_CYCLES) {
        // One report per closing edge: `needs: [a, a]` closes the same cycle twice.
        const edge = `${frame.node}\u0000${target}`;
        if (!reported.has(edge)) {
          reported.add(edge);
          cycles.push([...path.slice(onPath.get(target)), target]);
        }
      }
    }
  }
  return cycles;
}

/** `a` → `b` → `a`; a long cycle shows its ends and how many names it leaves out. */
export function arrowPath(cycle: readonly string[]): string {
  const shown = (names: readonly string[]) => names.map((node) => `\`${node}\``).join(' → ');
  if (cycle.length <= 12) return shown(cycle);
  return `${shown(cycle.slice(0, 5))} → … (${cycle.length - 10} more) → ${shown(cycle.slice(-5))}`;
}
