import { readdir, readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';

it('imports nothing but its own modules and uses no Node-only global, so browsers can bundle it', async () => {
  const folder = new URL('./', import.meta.url);
  const files = (await readdir(folder)).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
  expect(files.length).toBeGreaterThan(10);
  for (const name of files) {
    const source = await readFile(new URL(name, folder), 'utf8');
    const specifiers = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1]);
    for (const specifier of specifiers)
      expect(specifier, `${name} imports ${specifier}`).toMatch(/^\.\/[\w-]+\.js$/);
    expect(source, name).not.toMatch(/\b(process|Buffer|globalThis)\.|\brequire\(|__dirname/);
  }
});
