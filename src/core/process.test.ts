import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isAlive } from './process.js';

describe('isAlive', () => {
  it('is true for a running process, one of another user included, and false once it exited', async () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(1)).toBe(true); // init: exists whoever runs the test (EPERM when not root)
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid ?? 0;
    await new Promise((resolve) => child.once('exit', resolve)); // reaped by Node on exit
    expect(isAlive(pid)).toBe(false);
  });

  it('is false for what is not a pid, instead of signalling a process group', () => {
    for (const pid of [0, -1, -process.pid, 1.5, Number.NaN]) expect(isAlive(pid)).toBe(false);
  });
});
