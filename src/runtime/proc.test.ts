import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createVirtualTime } from '../core/sleep.js';
import {
  findByEnv,
  groupMembers,
  isSameProcess,
  processInfo,
  selfIdentity,
  supervisorAlive,
  terminateGroup,
} from './proc.js';

function detached(script: string, env: Record<string, string> = {}) {
  const child = spawn('/bin/sh', ['-c', script], {
    detached: true,
    stdio: 'ignore',
    env: { ...env, PATH: '/usr/bin:/bin' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { pid: child.pid ?? 0, exited };
}

/**
 * Waits for a condition by looking again, a bounded number of times (a test that never sees it
 * fails by name, not by a timing threshold).
 */
async function eventually(check: () => boolean, what: string, attempts = 500): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never saw ${what} (${attempts} attempts)`);
}

/** A shell with two `sleep` children: three members once both children have started. */
const groupStarted = (pid: number) =>
  eventually(() => groupMembers(pid).length === 3, 'the group of 3 started');

describe('process identity', () => {
  it('tells a live process by its start time, and nothing for a process that is gone', async () => {
    const me = processInfo(process.pid);
    expect(me?.identity).toMatch(/.+:.+/);
    expect(isSameProcess(process.pid, me?.identity ?? '')).toBe(true);
    expect(isSameProcess(process.pid, 'another boot:1')).toBe(false);

    const child = detached('exit 0');
    await child.exited;
    expect(processInfo(child.pid)).toBeUndefined();
  });

  it('knows whether the recorded supervisor still runs', () => {
    expect(supervisorAlive(selfIdentity())).toBe(true);
    expect(supervisorAlive(`${process.pid}@not-this-process`)).toBe(false);
    expect(supervisorAlive('garbage')).toBe(false);
  });
});

describe('process groups', () => {
  it('lists the members of a detached group and finds them by a variable in their environment', async () => {
    const nonce = randomBytes(8).toString('hex');
    const child = detached('sleep 30 & sleep 30; wait', { MARK: nonce });
    await groupStarted(child.pid);
    expect(processInfo(child.pid)?.pgid).toBe(child.pid);
    expect(findByEnv('MARK', nonce).map((p) => p.pgid)).toEqual([child.pid, child.pid, child.pid]);
    expect(findByEnv('MARK', 'no-such-nonce')).toEqual([]);
    await terminateGroup(child.pid, 'SIGTERM', 2000);
    expect(groupMembers(child.pid)).toEqual([]);
  });

  it('SIGKILLs a group that ignores the stop signal, only once the grace period is over (virtual time)', async () => {
    // The shell ignores TERM before it starts its children, which inherit that: none of them stops.
    const child = detached("trap '' TERM; sleep 30 & sleep 30; wait");
    await groupStarted(child.pid);
    const time = createVirtualTime();
    const started = time.wait.now();
    expect(await time.run(terminateGroup(child.pid, 'SIGTERM', 200, time.wait))).toEqual({ killed: true });
    // Virtual milliseconds: SIGKILL is sent only after the whole grace period.
    expect(time.wait.now() - started).toBeGreaterThanOrEqual(200);
    await child.exited;
    await eventually(() => groupMembers(child.pid).length === 0, 'the group gone');
    expect(await terminateGroup(child.pid, 'SIGTERM', 200)).toEqual({ killed: false });
  });
});
