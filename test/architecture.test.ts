import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './e2e/helpers.js';

/**
 * The shape of src/: no module imports one that (through others) imports it back. Such a circle
 * is how a type everyone needs ends up living in the module that uses them all (issue 9 found
 * seven in src/deploy and one in src/cli); ports and shared types belong in a module below both.
 */

async function modules(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await modules(full)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

/** Relative imports and re-exports of a module, as absolute .ts paths. */
function importsOf(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/^(?:import|export)[^;]*?from '(\.[^']+)'/gms)) {
    const target = match[1] ?? '';
    found.push(path.resolve(path.dirname(file), target.replace(/\.js$/, '.ts')));
  }
  return found;
}

describe('the module graph of src/', () => {
  it('has no import cycles', async () => {
    const files = await modules(path.join(REPO, 'src'));
    const graph = new Map<string, string[]>();
    for (const file of files) graph.set(file, importsOf(file, await readFile(file, 'utf8')));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (node: string): void => {
      state.set(node, 'open');
      stack.push(node);
      for (const next of graph.get(node) ?? []) {
        if (!graph.has(next)) continue;
        if (state.get(next) === 'open') {
          const cycle = stack.slice(stack.indexOf(next)).map((f) => path.relative(REPO, f));
          cycles.push(cycle.join(' → '));
        } else if (state.get(next) === undefined) visit(next);
      }
      stack.pop();
      state.set(node, 'done');
    };
    for (const file of files) if (state.get(file) === undefined) visit(file);
    expect(graph.size).toBeGreaterThan(100);
    expect(cycles).toEqual([]);
  });
});
