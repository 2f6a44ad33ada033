import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
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
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(processInfo(child.pid)?.pgid).toBe(child.pid);
    expect(groupMembers(child.pid).length).toBe(3);
    expect(findByEnv('MARK', nonce).map((p) => p.pgid)).toEqual([child.pid, child.pid, child.pid]);
    expect(findByEnv('MARK', 'no-such-nonce')).toEqual([]);
    await terminateGroup(child.pid, 'SIGTERM', 2000);
    expect(groupMembers(child.pid)).toEqual([]);
  });

  it('SIGKILLs a group that ignores the stop signal once the grace period is over', async () => {
    const child = detached("trap '' TERM; sleep 30 & sleep 30; wait");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await terminateGroup(child.pid, 'SIGTERM', 200)).toEqual({ killed: true });
    await child.exited;
    expect(groupMembers(child.pid)).toEqual([]);
    expect(await terminateGroup(child.pid, 'SIGTERM', 200)).toEqual({ killed: false });
  });
});
