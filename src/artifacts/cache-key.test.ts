import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { type CacheKeyInput, createArtifactStore } from './index.js';
import { makeTree, tempDir } from './testing.js';

let t: Awaited<ReturnType<typeof tempDir>>;
const store = createArtifactStore({ root: '/nonexistent/never-touched', clock: createManualClock() });
beforeEach(async () => {
  t = await tempDir();
});
afterEach(async () => {
  await t.cleanup();
});

const REPO = {
  'package.json': '{"name":"shop"}',
  'package-lock.json': '{"lockfileVersion":3}',
  'src/index.ts': 'export {}',
  'src/.eslintrc': '{}',
  'node_modules/left-pad/index.js': 'module.exports = 1',
  '.git/HEAD': 'ref: refs/heads/main',
  '.flowline/flowline.db': 'db',
  'README.md': 'readme',
};

const input = (cwd: string, extra: Partial<CacheKeyInput> = {}): CacheKeyInput => ({
  cwd,
  inputs: ['src/**', 'package.json'],
  command: 'npm run build',
  env: { NODE_ENV: 'production' },
  ...extra,
});

describe('cacheKey', () => {
  it('is the same for the same inputs in another folder, created in another order, at other times', async () => {
    const one = path.join(t.dir, 'one');
    const two = path.join(t.dir, 'elsewhere', 'two');
    await makeTree(one, REPO);
    await makeTree(two, Object.fromEntries(Object.entries(REPO).reverse()));
    await utimes(path.join(two, 'src/index.ts'), new Date('2000-01-01'), new Date('2000-01-01'));
    const a = await store.cacheKey(input(one));
    expect(await store.cacheKey(input(two))).toEqual(a);
    expect(await store.cacheKey(input(one))).toEqual(a);
    // src/index.ts, src/.eslintrc (dot files count), package.json, and the lockfile.
    expect(a.files).toBe(4);
  });

  it('is pinned: the key format is stable across releases and machines', async () => {
    await makeTree(t.dir, { 'src/a.txt': 'a', 'yarn.lock': '# lock' });
    const key = await store.cacheKey({
      cwd: t.dir,
      inputs: ['src/**'],
      command: 'make',
      env: { CI: undefined },
    });
    // Recompute by hand from the documented canonical form.
    const { createHash } = await import('node:crypto');
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const canonical = JSON.stringify({
      format: 'flowline-cache-key/1',
      command: 'make',
      env: [['CI', null]],
      files: [
        ['src/a.txt', sha('a')],
        ['yarn.lock', sha('# lock')],
      ],
    });
    expect(key).toEqual({ key: `sha256:${sha(canonical)}`, files: 2 });
  });

  it('changes with a file, the lockfile, the command or an environment value', async () => {
    await makeTree(t.dir, REPO);
    const base = (await store.cacheKey(input(t.dir))).key;
    const keys = new Set([base]);
    keys.add((await store.cacheKey(input(t.dir, { command: 'npm run build:prod' }))).key);
    keys.add((await store.cacheKey(input(t.dir, { env: { NODE_ENV: 'development' } }))).key);
    keys.add((await store.cacheKey(input(t.dir, { env: { NODE_ENV: undefined } }))).key);
    keys.add((await store.cacheKey(input(t.dir, { env: { NODE_ENV: '' } }))).key);
    await writeFile(path.join(t.dir, 'package-lock.json'), '{"lockfileVersion":3,"x":1}');
    keys.add((await store.cacheKey(input(t.dir))).key);
    await writeFile(path.join(t.dir, 'src/index.ts'), 'export const x = 1');
    keys.add((await store.cacheKey(input(t.dir))).key);
    expect(keys.size).toBe(7);
  });

  it('ignores node_modules, .git and .flowline unless a glob names them, and honours !globs', async () => {
    await makeTree(t.dir, REPO);
    const all = await store.cacheKey(input(t.dir, { inputs: ['**'] }));
    // package.json, package-lock.json, README.md, src/index.ts, src/.eslintrc
    expect(all.files).toBe(5);
    await writeFile(path.join(t.dir, 'node_modules/left-pad/index.js'), 'changed');
    await writeFile(path.join(t.dir, '.flowline/flowline.db'), 'changed');
    expect(await store.cacheKey(input(t.dir, { inputs: ['**'] }))).toEqual(all);
    const named = await store.cacheKey(input(t.dir, { inputs: ['**', 'node_modules/left-pad/**'] }));
    expect(named.files).toBe(6);
    expect(await store.cacheKey(input(t.dir, { inputs: ['**', '!README.md'] }))).toMatchObject({ files: 4 });
  });

  it('refuses a glob that matches nothing, naming it (and every other one)', async () => {
    await makeTree(t.dir, REPO);
    await expect(store.cacheKey(input(t.dir, { inputs: ['src/**', 'lib/**/*.ts'] }))).rejects.toMatchObject({
      code: 'FLOWLINE_BUILD_INPUT_EMPTY',
      message: `The build input lib/**/*.ts matches no file in ${t.dir}.`,
      hint: expect.stringContaining('node_modules'),
      issues: [{ code: 'input_glob_empty', message: 'lib/**/*.ts matches no file', path: 'build.inputs' }],
    });
    // Only inside node_modules: skipped, so empty, and the hint says why.
    await expect(
      store.cacheKey(input(t.dir, { inputs: ['**/left-pad/*.js', 'docs'] })),
    ).rejects.toMatchObject({
      message: `2 build inputs match no file in ${t.dir}: **/left-pad/*.js, docs.`,
    });
  });
});
