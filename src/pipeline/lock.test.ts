import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireRunLock, runLockFile } from './lock.js';
import type { LockHolder } from './types.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'flowline-lock-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** A pid that is certainly dead: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid ?? 999_999;
}

describe('acquireRunLock', () => {
  it('writes the holder and removes the lock on release', async () => {
    const lock = await acquireRunLock(home, { wait: false });
    await lock.setRun('run_1');
    const holder = JSON.parse(await readFile(runLockFile(home), 'utf8')) as LockHolder;
    expect(holder).toMatchObject({ pid: process.pid, runId: 'run_1' });
    await lock.release();
    await expect(readFile(runLockFile(home))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses with FLOWLINE_RUN_LOCKED under --no-wait while a live process holds it', async () => {
    const first = await acquireRunLock(home, { wait: false });
    await first.setRun('run_first');
    await expect(acquireRunLock(home, { wait: false })).rejects.toMatchObject({
      code: 'FLOWLINE_RUN_LOCKED',
      message: expect.stringContaining(`run run_first (pid ${process.pid}`),
    });
    await first.release();
  });

  it('waits for the holder, saying who it waits for, then takes the lock', async () => {
    const first = await acquireRunLock(home, { wait: false });
    await first.setRun('run_first');
    const seen: LockHolder[] = [];
    const second = acquireRunLock(home, {
      wait: true,
      pollMs: 10,
      onWait: (holder) => {
        seen.push(holder);
        void first.release();
      },
    });
    const lock = await second;
    expect(seen.map((h) => h.runId)).toEqual(['run_first']);
    await lock.release();
  });

  it('takes over a lock left by a dead process', async () => {
    await mkdir(path.dirname(runLockFile(home)), { recursive: true });
    const pid = await deadPid();
    await writeFile(
      runLockFile(home),
      JSON.stringify({ pid, since: '2020-01-01T00:00:00.000Z', runId: 'run_dead' }),
    );
    const seen: LockHolder[] = [];
    const lock = await acquireRunLock(home, { wait: false, onWait: (h) => seen.push(h) });
    expect(seen).toEqual([]);
    expect(JSON.parse(await readFile(runLockFile(home), 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('stops waiting when its signal aborts', async () => {
    const first = await acquireRunLock(home, { wait: false });
    const controller = new AbortController();
    const waiting = acquireRunLock(home, {
      wait: true,
      pollMs: 10,
      signal: controller.signal,
      onWait: () => controller.abort(),
    });
    await expect(waiting).rejects.toMatchObject({ code: 'FLOWLINE_RUN_LOCKED' });
    await first.release();
  });
});
