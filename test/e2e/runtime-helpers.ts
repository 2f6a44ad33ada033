import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RevisionSpec } from '../../src/runtime/index.js';
import { REPO } from './helpers.js';

/** The example service's sources: `node server.js` there listens on $PORT. */
export const HELLO_SRC = path.join(REPO, 'examples', 'hello', 'src');
export const NODE = JSON.stringify(process.execPath);

let counter = 0;

/** A spec for the hello service with quick health checks; each call a new revision id. */
export function helloSpec(logDir: string, overrides: Partial<RevisionSpec> = {}): RevisionSpec {
  counter++;
  return {
    service: 'hello',
    environment: 'test',
    revision: `r${process.pid}x${counter}`,
    workdir: HELLO_SRC,
    command: `exec ${NODE} server.js`,
    portEnv: 'PORT',
    instances: 1,
    env: { SHUTDOWN_TIMEOUT_MS: '2000' },
    health: {
      path: '/healthz',
      interval: 100,
      timeout: 500,
      startPeriod: 5000,
      successThreshold: 1,
      failureThreshold: 2,
    },
    shutdown: { signal: 'SIGTERM', gracePeriod: 3000 },
    logDir,
    ...overrides,
  };
}

/**
 * True while the process runs. A zombie counts as gone: an orphan whose parent (a killed
 * Flowline) is dead waits there until init reaps it, which takes a moment in some containers.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

/** Fetches JSON from an instance. */
export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Resolves when `check` returns true, polling every 25 ms; throws after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
