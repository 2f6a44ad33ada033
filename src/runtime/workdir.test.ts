import { mkdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createArtifactStore } from '../artifacts/index.js';
import { makeTree, tempDir } from '../artifacts/testing.js';
import { systemClock } from '../core/clock.js';
import {
  dataDir,
  instanceDir,
  prepareDataDir,
  prepareInstanceDir,
  prepareScratchDir,
  removeInstanceDir,
  scratchDir,
} from './workdir.js';

let t: Awaited<ReturnType<typeof tempDir>>;
let artifact: string;
let workRoot: string;

beforeEach(async () => {
  t = await tempDir('flowline-workdir-');
  await makeTree(path.join(t.dir, 'build'), {
    'server.js': 'console.log(1)',
    'bin/start': { content: '#!/bin/sh\n', mode: 0o755 },
    'data/seed.json': '{}',
    current: { link: 'data' },
  });
  const store = createArtifactStore({ root: path.join(t.dir, 'store'), clock: systemClock });
  artifact = (await store.put(path.join(t.dir, 'build'))).path;
  workRoot = path.join(t.dir, 'work');
});
afterEach(async () => {
  await t.cleanup();
});

describe("an instance's own folder", () => {
  it('is a writable copy of the artifact: modes kept, links kept, the artifact left as it was', async () => {
    const dir = await prepareInstanceDir({ workRoot, instanceId: 'hello-staging-r1-1', source: artifact });
    expect(dir).toBe(instanceDir(workRoot, 'hello-staging-r1-1'));
    expect((await stat(path.join(dir, 'bin/start'))).mode & 0o777).toBe(0o755);
    expect((await stat(path.join(dir, 'server.js'))).mode & 0o777).toBe(0o644);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await readlink(path.join(dir, 'current'))).toBe('data');
    // A stateful app writes its own data: the shared, content-addressed artifact never changes.
    await writeFile(path.join(dir, 'data/seed.json'), '{"orders":1}');
    expect(await readFile(path.join(artifact, 'data/seed.json'), 'utf8')).toBe('{}');
  });

  it('survives a restart of its instance (prepared again: kept), and goes when the instance stops', async () => {
    const dir = await prepareInstanceDir({ workRoot, instanceId: 'i-1', source: artifact });
    await writeFile(path.join(dir, 'state.db'), 'kept');
    await prepareInstanceDir({ workRoot, instanceId: 'i-1', source: artifact });
    expect(await readFile(path.join(dir, 'state.db'), 'utf8')).toBe('kept');
    await removeInstanceDir(workRoot, 'i-1');
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.skipIf(process.getuid?.() !== 0)('is owned by the run-as user when Flowline runs as root', async () => {
    const runAs = { uid: 65534, gid: 65534, name: 'nobody' };
    const dir = await prepareInstanceDir({ workRoot, instanceId: 'i-2', source: artifact, runAs });
    for (const p of ['', 'server.js', 'data', 'data/seed.json']) {
      const info = await stat(path.join(dir, p));
      expect([p, info.uid, info.gid]).toEqual([p, 65534, 65534]);
    }
  });
});

describe('the scratch and data folders', () => {
  it('are named so that no instance folder and no other environment can collide with them', () => {
    expect(scratchDir(workRoot, 'hello-staging-r1-1')).toBe(
      path.join(workRoot, 'scratch', 'hello-staging-r1-1'),
    );
    expect(dataDir(workRoot, 'hello', 'staging')).toBe(path.join(workRoot, 'data', 'hello', 'staging'));
    // Deleted recursively: a name that could leave data/<service>/ is refused.
    for (const [service, environment] of [
      ['hello', '..'],
      ['..', 'x'],
      ['hello', 'a/b'],
      ['', 'x'],
    ]) {
      expect(() => dataDir(workRoot, service ?? '', environment ?? '')).toThrow(/cannot name a data folder/);
    }
  });

  it('keep the scratch with the instance: removed with its folder, and the data kept', async () => {
    const scratch = await prepareScratchDir(workRoot, 'i-3', undefined);
    const data = await prepareDataDir(workRoot, 'hello', 'staging', undefined);
    expect([(await stat(scratch)).mode & 0o777, (await stat(data)).mode & 0o777]).toEqual([0o700, 0o700]);
    expect((await stat(path.join(workRoot, 'data', 'hello'))).mode & 0o777).toBe(0o711);
    await removeInstanceDir(workRoot, 'i-3');
    await expect(stat(scratch)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(data)).isDirectory()).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'take over an empty folder a start left behind, and a scratch of another user',
    async () => {
      const runAs = { uid: 65534, gid: 65534, name: 'nobody' };
      const data = dataDir(workRoot, 'hello', 'empty');
      await mkdir(data, { recursive: true }); // root's: a start stopped between mkdir and chown
      await prepareDataDir(workRoot, 'hello', 'empty', runAs);
      expect((await stat(data)).uid).toBe(65534);
      const scratch = scratchDir(workRoot, 'i-4');
      await mkdir(scratch, { recursive: true });
      await writeFile(path.join(scratch, 'left.tmp'), 'x'); // root's leftovers
      await prepareScratchDir(workRoot, 'i-4', runAs);
      expect((await stat(scratch)).uid).toBe(65534);
      await expect(stat(path.join(scratch, 'left.tmp'))).rejects.toMatchObject({ code: 'ENOENT' });
    },
  );
});
