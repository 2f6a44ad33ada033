import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFlowline } from '../app/flowline.js';
import { loadSettings } from '../core/settings.js';
import { openStore } from './open.js';

// Flowline's home and store are its user's alone, whatever the umask (ADR 0010).

let dir: string;
let umask: number;

const mode = async (file: string) => (await stat(file)).mode & 0o777;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-modes-'));
  umask = process.umask(0o002); // as permissive as shells get: files 0664, folders 0775
});

afterEach(async () => {
  process.umask(umask);
  await rm(dir, { recursive: true, force: true });
});

describe('file modes', () => {
  it('creates FLOWLINE_HOME 0700 and flowline.db, its -wal and -shm 0600', async () => {
    const home = path.join(dir, 'project', '.flowline');
    const flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: home }, dir));
    try {
      await flowline.catalog.ensureService('shop'); // a write: the WAL and its index exist now
      expect(await mode(home)).toBe(0o700);
      for (const file of ['flowline.db', 'flowline.db-wal', 'flowline.db-shm']) {
        expect([file, await mode(path.join(home, file))]).toEqual([file, 0o600]);
      }
    } finally {
      await flowline.close();
    }
  });

  it('tightens a home and store that an older Flowline left readable by others', async () => {
    const home = path.join(dir, '.flowline');
    const file = path.join(home, 'flowline.db');
    await (await openStore({ file })).close();
    await chmod(home, 0o755);
    await chmod(file, 0o644);
    const store = await openStore({ file });
    try {
      expect(await mode(home)).toBe(0o700);
      expect(await mode(file)).toBe(0o600);
    } finally {
      await store.close();
    }
  });

  it('leaves the folders above the home as they are', async () => {
    const parent = path.join(dir, 'shared');
    await mkdir(parent, { mode: 0o755 });
    await (await openStore({ file: path.join(parent, 'home', 'flowline.db') })).close();
    expect(await mode(parent)).toBe(0o755);
    expect(await mode(path.join(parent, 'home'))).toBe(0o700);
  });

  it('never changes a shared folder such as /tmp (sticky or writable by others) holding the store', async () => {
    const shared = path.join(dir, 'tmp');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    await (await openStore({ file: path.join(shared, 'flowline.db') })).close();
    expect((await stat(shared)).mode & 0o7777).toBe(0o1777);
    expect(await mode(path.join(shared, 'flowline.db'))).toBe(0o600);
  });
});
