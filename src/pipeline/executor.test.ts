import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalProcessExecutor, type StepSpec, signalOfExitCode } from './executor.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-exec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const executor = new LocalProcessExecutor({ killGraceMs: 2000 });

function spec(command: string, extra: Partial<StepSpec> = {}): StepSpec & { lines: string[] } {
  const lines: string[] = [];
  return {
    command,
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    signal: new AbortController().signal,
    onLine: (l) => lines.push(l),
    lines,
    ...extra,
  };
}

/** Whether a process runs (a zombie waiting for its parent to reap it does not). Linux /proc. */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat !== undefined && !/^\d+ \(.*\) Z/.test(stat);
}

/** Signals are delivered asynchronously: wait (bounded) until the process has gone. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 250 && (await running(pid)); i++) await new Promise((r) => setTimeout(r, 20));
  return !(await running(pid));
}

describe('LocalProcessExecutor', () => {
  it('runs a shell command with exactly the given environment and reports its exit code', async () => {
    const s = spec('echo "x=$X home=$' + '{HOME:-none}"; echo err >&2; exit 3', {
      env: { PATH: '/usr/bin:/bin', X: '1' },
    });
    const result = await executor.run(s);
    await result.release();
    expect(result).toMatchObject({ exitCode: 3, signal: null, timedOut: false, cancelled: false });
    expect(s.lines.sort()).toEqual(['err', 'x=1 home=none']);
  });

  it('kills the whole process tree on timeout, grandchildren included', async () => {
    const pidFile = path.join(dir, 'grandchild.pid');
    const s = spec(`sh -c 'sleep 30 & echo $! > ${pidFile}; wait'`, { timeoutMs: 300 });
    const result = await executor.run(s);
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGTERM');
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    expect(await gone(grandchild)).toBe(true);
  });

  it('reports the signal that killed a step', async () => {
    const result = await executor.run(spec('kill -9 $$'));
    await result.release();
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: false });
  });

  it('stops a step when cancelled', async () => {
    const controller = new AbortController();
    const s = spec('echo started; sleep 30', {
      signal: controller.signal,
      onLine: (line) => {
        if (line === 'started') controller.abort();
      },
    });
    const result = await executor.run(s);
    expect(result.cancelled).toBe(true);
    expect(result.exitCode).toBeNull();
  });

  it('keeps what a step started in the background until release, then ends it', async () => {
    const pidFile = path.join(dir, 'server.pid');
    const result = await executor.run(spec(`sleep 30 & echo $! > ${pidFile}`));
    expect(result.exitCode).toBe(0);
    const server = Number(await readFile(pidFile, 'utf8'));
    expect(await running(server)).toBe(true);
    await result.release();
    expect(await gone(server)).toBe(true);
  });

  it('reports a step that cannot start (its working directory is missing)', async () => {
    const result = await executor.run(spec('true', { cwd: path.join(dir, 'nope') }));
    expect(result.startError).toMatch(/^its working directory .*nope does not exist$/);
  });
});

describe('signalOfExitCode', () => {
  it('reads 128+n exit codes as signals', () => {
    expect(signalOfExitCode(137)).toBe('SIGKILL');
    expect(signalOfExitCode(143)).toBe('SIGTERM');
    expect(signalOfExitCode(1)).toBeUndefined();
    expect(signalOfExitCode(null)).toBeUndefined();
  });
});
