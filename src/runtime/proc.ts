import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { realWaitClock, type WaitClock } from '../core/sleep.js';

/**
 * What the operating system says about processes: identity (to tell a live instance from an
 * unrelated process that got its pid back), process groups, and signals. Linux reads /proc;
 * elsewhere `ps` answers the identity questions and group scans fall back to `kill(-pgid, 0)`.
 */

const PROC = existsSync('/proc/self/stat');
let bootId: string | undefined;

/** A live (not zombie) process as the kernel describes it. */
export interface ProcessInfo {
  readonly pid: number;
  readonly pgid: number;
  /** Boot id and start time: equal only for the same process, even after the pid is reused. */
  readonly identity: string;
}

/** The process, or undefined when it is gone or a zombie waiting to be reaped. */
export function processInfo(pid: number): ProcessInfo | undefined {
  return PROC ? procStat(pid) : psInfo(pid);
}

/** True when `pid` still runs the process recorded with `identity`. */
export function isSameProcess(pid: number, identity: string): boolean {
  return processInfo(pid)?.identity === identity;
}

/** Pids of the live members of a process group. */
export function groupMembers(pgid: number): number[] {
  if (!PROC) return signal(-pgid, 0) ? [pgid] : [];
  return livePids().filter((pid) => procStat(pid)?.pgid === pgid);
}

/**
 * Live processes whose environment holds `NAME=value`: how an instance is found when Flowline
 * died between spawning it and recording its pid. Linux only (elsewhere: none found).
 */
export function findByEnv(name: string, value: string): ProcessInfo[] {
  if (!PROC) return [];
  const needle = Buffer.from(`\0${name}=${value}\0`);
  const found: ProcessInfo[] = [];
  for (const pid of livePids()) {
    try {
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${pid}/environ`)]);
      if (environ.indexOf(needle) === -1) continue;
      const info = procStat(pid);
      if (info !== undefined) found.push(info);
    } catch {
      // Gone meanwhile, or another user's process.
    }
  }
  return found;
}

/** Sends a signal; false when no such process (group) exists. */
export function signal(target: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, sig);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Stops a whole process group: `sig` first, then SIGKILL for whatever still runs after
 * `graceMs`. Resolves once no live member is left (or 5 s after SIGKILL, which cannot be
 * ignored, so only an uninterruptible process could still be there). Returns whether SIGKILL
 * was needed. `wait` is real time except in tests of the grace period.
 */
export async function terminateGroup(
  pgid: number,
  sig: NodeJS.Signals,
  graceMs: number,
  wait: WaitClock = realWaitClock,
): Promise<{ killed: boolean }> {
  if (!signal(-pgid, sig)) return { killed: false };
  if (await waitGroupGone(pgid, graceMs, wait)) return { killed: false };
  signal(-pgid, 'SIGKILL');
  await waitGroupGone(pgid, 5000, wait);
  return { killed: true };
}

/** Polls until the group has no live member; false on timeout. */
export async function waitGroupGone(
  pgid: number,
  timeoutMs: number,
  wait: WaitClock = realWaitClock,
): Promise<boolean> {
  const deadline = wait.now() + timeoutMs;
  for (;;) {
    if (groupMembers(pgid).length === 0) return true;
    if (wait.now() >= deadline) return false;
    await wait.sleep(25);
  }
}

/** This process's identity, recorded as the supervisor of what it starts. */
export function selfIdentity(): string {
  return `${process.pid}@${processInfo(process.pid)?.identity ?? 'unknown'}`;
}

/** True when the supervisor recorded as `supervisor` (see {@link selfIdentity}) still runs. */
export function supervisorAlive(supervisor: string): boolean {
  const at = supervisor.indexOf('@');
  const pid = Number(supervisor.slice(0, at));
  return Number.isInteger(pid) && pid > 0 && isSameProcess(pid, supervisor.slice(at + 1));
}

function livePids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function procStat(pid: number): ProcessInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after its closing one.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X') return undefined;
  bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return { pid, pgid: Number(fields[2]), identity: `${bootId}:${fields[19]}` };
}

function psInfo(pid: number): ProcessInfo | undefined {
  try {
    const out = execFileSync('ps', ['-o', 'stat=,pgid=,lstart=', '-p', String(pid)], { encoding: 'utf8' });
    const match = /^\s*(\S+)\s+(\d+)\s+(.+?)\s*$/.exec(out);
    if (match === null || match[1]?.startsWith('Z')) return undefined;
    return { pid, pgid: Number(match[2]), identity: `lstart:${match[3]}` };
  } catch {
    return undefined; // ps exits 1 when there is no such process
  }
}
