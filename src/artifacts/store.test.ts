import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { type ArtifactStore, createArtifactStore } from './index.js';
import { makeTree, tempDir } from './testing.js';

let t: Awaited<ReturnType<typeof tempDir>>;
let store: ArtifactStore;
const root = () => path.join(t.dir, 'home', 'artifacts');
const src = (name = 'app') => path.join(t.dir, name);
const open = () => createArtifactStore({ root: root(), clock: createManualClock() });

beforeEach(async () => {
  t = await tempDir();
  store = open();
});
afterEach(async () => {
  await t.cleanup();
});

const APP = {
  'package.json': '{"name":"app"}',
  'dist/server.js': 'console.log("hi")',
  'dist/assets/logo.svg': '<svg/>',
  'bin/start': { content: '#!/bin/sh\nnode dist/server.js\n', mode: 0o755 },
  '.env.defaults': 'PORT=3000',
};

describe('put, get and verify', () => {
  it('stores a folder as a read-only, content-addressed artifact and finds it again', async () => {
    await makeTree(src(), APP);
    const ref = await store.put(src());
    expect(ref).toEqual({
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      sizeBytes: 14 + 17 + 6 + 30 + 9,
      files: 5,
      path: path.join(root(), 'objects', 'sha256', ref.digest.slice(7)),
    });
    expect(await readFile(path.join(ref.path, 'dist/server.js'), 'utf8')).toBe('console.log("hi")');
    expect(await store.get(ref.digest)).toEqual(ref);
    expect(await store.verify(ref.digest)).toEqual(ref);
    expect(await store.list()).toEqual([ref]);
    // Read-only after commit: files 0444 (0555 when executable), folders 0555.
    expect((await stat(path.join(ref.path, 'package.json'))).mode & 0o777).toBe(0o444);
    expect((await stat(path.join(ref.path, 'bin/start'))).mode & 0o777).toBe(0o555);
    expect((await stat(path.join(ref.path, 'dist'))).mode & 0o777).toBe(0o555);
    expect((await stat(ref.path)).mode & 0o777).toBe(0o555);
    expect(await readdir(path.join(root(), 'tmp'))).toEqual([]);
  });

  it('writes a manifest that lists each entry with mode, size and sha256, and hashes to the digest', async () => {
    await makeTree(src(), { 'b.txt': 'b', 'a.txt': { content: 'a', mode: 0o700 } });
    const ref = await store.put(src());
    const text = await readFile(`${ref.path}.manifest.json`, 'utf8');
    const { createHash } = await import('node:crypto');
    expect(`sha256:${createHash('sha256').update(text).digest('hex')}`).toBe(ref.digest);
    expect(JSON.parse(text)).toEqual({
      format: 'flowline-artifact/1',
      entries: [
        {
          path: 'a.txt',
          type: 'file',
          mode: '755',
          size: 1,
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
        {
          path: 'b.txt',
          type: 'file',
          mode: '644',
          size: 1,
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      ],
    });
  });

  it('gives the same digest for the same content whatever the mtimes, creation order or folder', async () => {
    const entries = Object.entries(APP);
    await makeTree(src('one'), Object.fromEntries(entries));
    await makeTree(src('two'), Object.fromEntries(entries.reverse()));
    await utimes(path.join(src('two'), 'dist/server.js'), new Date('2001-01-01'), new Date('2001-01-01'));
    await chmod(path.join(src('two'), 'package.json'), 0o600); // not executable either way
    const other = createArtifactStore({ root: path.join(t.dir, 'other'), clock: createManualClock() });
    const a = await store.put(src('one'));
    const b = await other.put(src('two'));
    expect(b.digest).toBe(a.digest);
  });

  it('changes the digest when a file changes, moves, or gains the executable bit', async () => {
    await makeTree(src(), APP);
    const base = (await store.put(src())).digest;
    await writeFile(path.join(src(), 'dist/server.js'), 'console.log("bye")');
    const edited = (await store.put(src())).digest;
    await chmod(path.join(src(), 'package.json'), 0o755);
    const exec = (await store.put(src())).digest;
    expect(new Set([base, edited, exec]).size).toBe(3);
  });

  it('returns the existing artifact when the same content is put again', async () => {
    await makeTree(src(), APP);
    const first = await store.put(src());
    const again = await store.put(src());
    expect(again).toEqual(first);
    expect((await readdir(path.join(root(), 'objects', 'sha256'))).sort()).toEqual(
      [first.digest.slice(7), `${first.digest.slice(7)}.manifest.json`].sort(),
    );
    expect(await readdir(path.join(root(), 'tmp'))).toEqual([]);
  });

  it('preserves the executable bit so the runtime can start a script', async () => {
    await makeTree(src(), { 'run.sh': { content: '#!/bin/sh\necho started\n', mode: 0o755 } });
    const ref = await store.put(src());
    const run = spawnSync(path.join(ref.path, 'run.sh'), { encoding: 'utf8' });
    expect(run.stdout).toBe('started\n');
  });

  it('reports bytes copied as it goes, ending at the total', async () => {
    await makeTree(src(), { 'big.bin': Buffer.alloc(3 * 1024 * 1024 + 5, 7), 'small.txt': 'x' });
    const calls: [number, number][] = [];
    await store.put(src(), { onProgress: (copied, total) => calls.push([copied, total]) });
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(calls.at(-1)).toEqual([3 * 1024 * 1024 + 6, 3 * 1024 * 1024 + 6]);
    expect(calls.map(([c]) => c)).toEqual([...calls.map(([c]) => c)].sort((x, y) => x - y));
  });

  it('leaves out .git and .flowline folders, excluded globs, and the store itself', async () => {
    await makeTree(src(), {
      ...APP,
      '.git/HEAD': 'ref',
      'packages/x/.git/HEAD': 'ref',
      '.flowline/flowline.db': 'db',
      'dist/server.js.map': '{}',
      'coverage/index.html': '<html/>',
    });
    // The store lives inside the folder it bundles: it must not bundle itself.
    const inside = createArtifactStore({ root: path.join(src(), 'store'), clock: createManualClock() });
    const ref = await inside.put(src(), { exclude: ['**/*.map', 'coverage'] });
    await makeTree(src('plain'), APP);
    expect(ref.digest).toBe((await store.put(src('plain'))).digest);
  });

  it('refuses a folder that does not exist or holds no files', async () => {
    await expect(store.put(src('missing'))).rejects.toMatchObject({
      code: 'FLOWLINE_BUILD_OUTPUT_MISSING',
      message: expect.stringContaining('does not exist'),
    });
    await mkdir(path.join(src(), 'empty'), { recursive: true });
    await expect(store.put(src())).rejects.toMatchObject({
      code: 'FLOWLINE_BUILD_OUTPUT_MISSING',
      message: expect.stringContaining('has no files'),
    });
    expect(await readdir(path.join(root(), 'tmp'))).toEqual([]);
  });

  it('returns undefined for an unknown or malformed digest', async () => {
    expect(await store.get(`sha256:${'a'.repeat(64)}`)).toBeUndefined();
    expect(await store.get('sha256:../../etc')).toBeUndefined();
    await expect(store.verify(`sha256:${'a'.repeat(64)}`)).rejects.toMatchObject({
      code: 'FLOWLINE_ARTIFACT_NOT_FOUND',
    });
  });
});

describe('symbolic links', () => {
  it('keeps links that stay inside the folder, as links', async () => {
    await makeTree(src(), {
      'lib/index.js': 'x',
      current: { link: 'lib' },
      'node_modules/.bin/tool': { link: '../../lib/index.js' },
    });
    const ref = await store.put(src());
    const { readlink } = await import('node:fs/promises');
    expect(await readlink(path.join(ref.path, 'current'))).toBe('lib');
    expect(await readFile(path.join(ref.path, 'node_modules/.bin/tool'), 'utf8')).toBe('x');
    expect(await store.verify(ref.digest)).toEqual(ref);
  });

  it.each([
    ['an absolute target', { passwd: { link: '/etc/passwd' } }, 'absolute path'],
    ['a target outside', { up: { link: '../outside.txt' } }, 'outside the folder'],
    ['a target that does not exist', { dangling: { link: 'nowhere' } }, 'does not exist'],
    [
      'a chain that climbs out through another link',
      { 'a/b/f': 'x', 'a/up': { link: '..' }, s: { link: 'a/up' }, esc: { link: 's/..' } },
      'outside the folder',
    ],
  ])('refuses a link with %s', async (_name, tree, message) => {
    await writeFile(path.join(t.dir, 'outside.txt'), 'secret');
    await makeTree(src(), { 'keep.txt': 'k', ...tree });
    await expect(store.put(src())).rejects.toMatchObject({
      code: 'FLOWLINE_ARTIFACT_UNSUPPORTED_FILE',
      message: expect.stringContaining(message),
    });
    expect(await readdir(path.join(root(), 'tmp'))).toEqual([]);
  });
});

describe('verify', () => {
  let ref: Awaited<ReturnType<ArtifactStore['put']>>;
  beforeEach(async () => {
    await makeTree(src(), APP);
    ref = await store.put(src());
  });
  const writable = async (file: string) => {
    await chmod(path.dirname(file), 0o755);
    await chmod(file, 0o644).catch(() => undefined);
  };

  it('names a file whose content was changed', async () => {
    const file = path.join(ref.path, 'dist/server.js');
    await writable(file);
    await writeFile(file, 'console.log("HI")'); // same size
    await expect(store.verify(ref.digest)).rejects.toMatchObject({
      code: 'FLOWLINE_ARTIFACT_CORRUPT',
      message: `Artifact ${ref.digest} is corrupt: dist/server.js changed content (its sha256 differs from the manifest).`,
      location: { file },
    });
  });

  it('names a missing file, an added file, and the first of several problems in path order', async () => {
    const { rm } = await import('node:fs/promises');
    await writable(path.join(ref.path, 'package.json'));
    await rm(path.join(ref.path, 'package.json'));
    await writeFile(path.join(ref.path, 'extra.txt'), 'new');
    await writable(path.join(ref.path, 'dist/assets/logo.svg'));
    await writeFile(path.join(ref.path, 'dist/assets/logo.svg'), '<svg>bigger</svg>');
    const error = await store.verify(ref.digest).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'FLOWLINE_ARTIFACT_CORRUPT',
      message: expect.stringContaining(
        'dist/assets/logo.svg changed size (17 bytes, the manifest says 6) (and 2 more problems)',
      ),
      issues: [
        { code: 'artifact_file_changed', path: 'dist/assets/logo.svg' },
        { code: 'artifact_file_added', path: 'extra.txt' },
        { code: 'artifact_file_missing', path: 'package.json' },
      ],
    });
  });

  it('notices a lost executable bit and an altered manifest', async () => {
    await chmod(path.join(ref.path, 'bin/start'), 0o444);
    await expect(store.verify(ref.digest)).rejects.toMatchObject({
      message: expect.stringContaining('bin/start lost its executable bit'),
    });
    const manifest = `${ref.path}.manifest.json`;
    await chmod(manifest, 0o644);
    const text = await readFile(manifest, 'utf8');
    await writeFile(manifest, text.replace('"size":6', '"size":7'));
    await expect(store.verify(ref.digest)).rejects.toMatchObject({
      code: 'FLOWLINE_ARTIFACT_CORRUPT',
      message: expect.stringContaining('manifest'),
    });
  });
});
