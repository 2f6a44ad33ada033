import { execFileSync } from 'node:child_process';
import { mkdir, readdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { createArtifactStore } from './index.js';
import { makeTree, tempDir } from './testing.js';

// A real full disk, not a simulated one: a 2 MB tmpfs mounted for the test. Mounting needs
// root (CI runs as root). As root a failing mount fails the test; only a non-root run skips it,
// and says so in the test's name.
const isRoot = process.getuid?.() === 0;

let t: Awaited<ReturnType<typeof tempDir>>;
let mountPoint: string;
let mounted = false;
beforeEach(async () => {
  t = await tempDir();
  mountPoint = path.join(t.dir, 'small-disk');
  await mkdir(mountPoint);
});
afterEach(async () => {
  if (mounted) execFileSync('umount', [mountPoint]);
  mounted = false;
  await t.cleanup();
});

describe('a full disk', () => {
  it.skipIf(!isRoot)(
    'fails a put with FLOWLINE_ARTIFACT_DISK_FULL and leaves nothing behind (real 2 MB tmpfs; needs root)',
    async () => {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
      mounted = true;
      const app = path.join(t.dir, 'app');
      await makeTree(app, {
        'a.bin': Buffer.alloc(2_500_000, 1),
        'b.bin': Buffer.alloc(2_500_000, 2),
        'small.txt': 'fits',
      });
      const store = createArtifactStore({
        root: path.join(mountPoint, 'artifacts'),
        clock: createManualClock(),
      });
      expect(await store.list()).toEqual([]); // lays out the folders
      const free = (await statfs(mountPoint)).bfree;

      const error = await store.put(app).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'FLOWLINE_ARTIFACT_DISK_FULL',
        message: expect.stringMatching(
          /^The disk under .* is full: storing .*app \(5\.0 MB\) stopped after \d\.\d MB; nothing was kept\.$/,
        ),
        hint: expect.stringContaining('flowline artifacts gc'),
      });
      expect(await readdir(path.join(mountPoint, 'artifacts', 'objects', 'sha256'))).toEqual([]);
      expect(await readdir(path.join(mountPoint, 'artifacts', 'tmp'))).toEqual([]);
      expect((await statfs(mountPoint)).bfree).toBe(free);

      // The store still works once what is stored fits.
      await makeTree(path.join(t.dir, 'small'), { 'index.js': 'ok' });
      const ref = await store.put(path.join(t.dir, 'small'));
      expect(await store.verify(ref.digest)).toEqual(ref);
    },
  );
});
