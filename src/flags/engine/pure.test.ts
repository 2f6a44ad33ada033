import { readdir, readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';

/** Modules of src/core the engine shares with the server; the package build carries them along. */
const SHARED = ['../../core/edit-distance.js'];

it('imports nothing but its own modules and uses no Node-only global, so browsers can bundle it', async () => {
  const folder = new URL('./', import.meta.url);
  const files = (await readdir(folder)).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
  expect(files.length).toBeGreaterThan(10);
  const sources = await Promise.all(
    [
      ...files.map((name) => new URL(name, folder)),
      ...SHARED.map((shared) => new URL(shared.replace(/\.js$/, '.ts'), folder)),
    ].map(async (url) => ({ name: url.pathname, source: await readFile(url, 'utf8') })),
  );
  for (const { name, source } of sources) {
    const specifiers = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1] ?? '');
    for (const specifier of specifiers) {
      if (!SHARED.includes(specifier)) {
        expect(specifier, `${name} imports ${specifier}`).toMatch(/^\.\/[\w-]+\.js$/);
      }
    }
    expect(source, name).not.toMatch(/\b(process|Buffer|globalThis)\.|\brequire\(|__dirname/);
  }
  // The shared modules import nothing at all: the package lays them out beside the engine.
  for (const { name, source } of sources.slice(files.length)) expect(source, name).not.toMatch(/from '/);
});
