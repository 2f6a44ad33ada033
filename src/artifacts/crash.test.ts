import { spawnSync } from 'node:child_process';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { createArtifactStore } from './index.js';
import { makeTree, tempDir } from './testing.js';

let t: Awaited<ReturnType<typeof tempDir>>;
const root = () => path.join(t.dir, 'artifacts');
const objects = () => path.join(root(), 'objects', 'sha256');
const open = (r = root()) => createArtifactStore({ root: r, clock: createManualClock() });

beforeEach(async () => {
  t = await tempDir();
  await makeTree(path.join(t.dir, 'app'), {
    'a.bin': Buffer.alloc(2 * 1024 * 1024, 1),
    'b.bin': Buffer.alloc(2 * 1024 * 1024, 2),
    'c.txt': 'c',
  });
});
afterEach(async () => {
  await t.cleanup();
});

/** The pid of a process that has exited: what a crashed put leaves in its staging folder name. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

/** The digest the app folder gets, learned from a throwaway store. */
async function digestOfApp(): Promise<{ digest: string; path: string }> {
  return open(path.join(t.dir, 'scratch')).put(path.join(t.dir, 'app'));
}

describe('after a crash', () => {
  it('removes staging folders of dead processes at open and keeps those of live ones', async () => {
    const dead = path.join(root(), 'tmp', `${deadPid()}.0123abcd`);
    const live = path.join(root(), 'tmp', `${process.ppid}.4567cdef`); // the test runner: alive
    await makeTree(dead, { 'files/a.bin': 'half a fi', 'manifest.json': '{' });
    await mkdir(live, { recursive: true });
    await writeFile(path.join(root(), 'tmp', 'junk'), 'not ours');

    expect(await open().list()).toEqual([]);
    expect(await readdir(path.join(root(), 'tmp'))).toEqual([path.basename(live)]);
  });

  it('removes an object folder whose manifest never arrived, and never serves it', async () => {
    const { digest, path: complete } = await digestOfApp();
    const hex = digest.slice(7);
    // A crash between the two renames of a commit: the folder is in place, its manifest is not.
    await mkdir(objects(), { recursive: true });
    await cp(complete, path.join(objects(), hex), { recursive: true });

    const store = open();
    expect(await store.get(digest)).toBeUndefined();
    expect(await readdir(objects())).toEqual([]);
    const ref = await store.put(path.join(t.dir, 'app'));
    expect(ref.digest).toBe(digest);
    expect(await store.verify(digest)).toEqual(ref);
  });

  it('takes over the commit lock left by a dead process instead of waiting forever', async () => {
    await makeTree(path.join(root(), 'lock'), { pid: String(deadPid()) });
    const ref = await open().put(path.join(t.dir, 'app'));
    expect(ref.files).toBe(3);
    expect(await readdir(root())).not.toContain('lock');
  });
});

describe('get never returns a partial artifact', () => {
  it('while a put is copying', async () => {
    const { digest } = await digestOfApp();
    const store = open();
    const looks: Promise<[unknown, number]>[] = [];
    const ref = await store.put(path.join(t.dir, 'app'), {
      onProgress: () => {
        looks.push(Promise.all([store.get(digest), store.list().then((l) => l.length)]));
      },
    });
    const seen = await Promise.all(looks);
    expect(seen.length).toBeGreaterThanOrEqual(4);
    // The first look came mid-copy and saw nothing; none saw anything but nothing or the whole.
    expect(seen[0]).toEqual([undefined, 0]);
    for (const look of seen)
      expect([
        [undefined, 0],
        [ref, 1],
      ]).toContainEqual(look);
  });

  it('when a put fails half-way: nothing in objects/, nothing left in tmp/', async () => {
    const { digest } = await digestOfApp();
    const store = open();
    const error = await store
      .put(path.join(t.dir, 'app'), {
        onProgress: (copied) => {
          if (copied > 1024 * 1024) throw new Error('interrupted');
        },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'interrupted' });
    expect(await store.get(digest)).toBeUndefined();
    expect(await readdir(objects())).toEqual([]);
    expect(await readdir(path.join(root(), 'tmp'))).toEqual([]);
  });
});
