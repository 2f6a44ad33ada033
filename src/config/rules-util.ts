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

/**
 * Finds cycles in a directed graph; each cycle once, as the path that closes it (`a, b, a`).
 * `next` lists a node's targets; targets that are not nodes are ignored (reported elsewhere).
 */
export function findCycles(nodes: readonly string[], next: (node: string) => readonly string[]): string[][] {
  const known = new Set(nodes);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const reported = new Set<string>();
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const target of next(node)) {
      if (!known.has(target)) continue;
      const seen = state.get(target);
      if (seen === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(target)), target];
        const id = [...new Set(cycle)].sort().join('\u0000');
        if (!reported.has(id)) {
          reported.add(id);
          cycles.push(cycle);
        }
      } else if (seen === undefined) {
        visit(target);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of nodes) if (!state.has(node)) visit(node);
  return cycles;
}

/** `a` → `b` → `a` */
export function arrowPath(cycle: readonly string[]): string {
  return cycle.map((node) => `\`${node}\``).join(' → ');
}
