import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlowlineError } from '../core/errors.js';
import { isAlive } from '../core/process.js';
import { type RouterControl, routerControl } from './client.js';
import { ROUTER_PROTOCOL, type RouterInfo } from './control.js';

/**
 * Finds the router process of a Flowline home and adopts it, or starts one (docs/adr/0011). The
 * router runs detached, in a session of its own, so it outlives the control plane: a crash,
 * restart or upgrade of `flowline serve` leaves it serving its last route table, and the next
 * `flowline serve` adopts it. It is replaced only when it speaks another control protocol, or
 * listens where it was not asked to.
 */
export interface RouterProcess {
  readonly control: RouterControl;
  readonly pid: number;
  /** True when a router left running by an earlier `flowline serve` was taken over. */
  readonly adopted: boolean;
  /** Where it serves users, once it listens. */
  readonly info: RouterInfo;
}

export interface RouterProcessOptions {
  readonly home: string;
  /** Where the router process writes what it logs. */
  readonly logFile: string;
  /** Where users should reach it: an adopted router listening elsewhere is replaced. Port 0: any. */
  readonly want: { readonly port: number; readonly host: string };
  readonly log: (line: string) => void;
}

/** How long a starting router may take to answer (it loads little: a second is plenty). */
const START_TIMEOUT_MS = 15_000;

export function routerInfoFile(home: string): string {
  return path.join(home, 'router.json');
}

/**
 * The control socket: in the home (0700) when its path fits a socket address (at most ~100
 * bytes), else a name of its own in the temp folder; either way the socket itself is 0600.
 */
export function routerSocket(home: string): string {
  const inHome = path.join(home, 'router.sock');
  if (Buffer.byteLength(inHome) <= 100) return inHome;
  const digest = createHash('sha256').update(home).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), `flowline-router-${digest}.sock`);
}

export async function ensureRouterProcess(options: RouterProcessOptions): Promise<RouterProcess> {
  const infoFile = routerInfoFile(options.home);
  const found = await adoptable(infoFile, options.log);
  if (found !== undefined) {
    const { control, info } = found;
    const where = info.listening;
    const elsewhere =
      where !== null &&
      ((options.want.port !== 0 && where.port !== options.want.port) || where.host !== options.want.host);
    if (info.protocol === ROUTER_PROTOCOL && !elsewhere) {
      options.log(
        `adopted the router (pid ${info.pid}${where === null ? '' : `, ${where.url}`}, ${info.routes} route(s))`,
      );
      return { control, pid: info.pid, adopted: true, info };
    }
    options.log(
      info.protocol !== ROUTER_PROTOCOL
        ? `replacing the router (pid ${info.pid}): it speaks control protocol ${info.protocol}, not ${ROUTER_PROTOCOL}`
        : `replacing the router (pid ${info.pid}): it listens on ${where?.url}, not where this start asks`,
    );
    await stopRouter(control, info.pid, 5000);
  }
  return spawnRouter(options, infoFile);
}

/** The router an earlier start left running, if it is alive and answers as the router it says it is. */
async function adoptable(
  infoFile: string,
  log: (line: string) => void,
): Promise<{ control: RouterControl; info: RouterInfo } | undefined> {
  const text = await readFile(infoFile, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let recorded: { pid: number; socket: string };
  try {
    recorded = JSON.parse(text) as { pid: number; socket: string };
  } catch {
    await rm(infoFile, { force: true });
    return undefined;
  }
  if (!isAlive(recorded.pid)) {
    await rm(infoFile, { force: true });
    return undefined;
  }
  const control = routerControl(recorded.socket);
  try {
    const info = await control.info();
    if (info.pid === recorded.pid) return { control, info };
  } catch {
    // alive but not answering: not a router we can drive
  }
  await control.close();
  log(`the router recorded in ${infoFile} (pid ${recorded.pid}) does not answer: starting a new one`);
  await rm(infoFile, { force: true });
  return undefined;
}

/** Asks the router to drain and exit, and waits until its process is gone. */
export async function stopRouter(control: RouterControl, pid: number, graceMs: number): Promise<void> {
  await control.stop(graceMs).catch(() => undefined);
  await control.close();
  const deadline = Date.now() + graceMs + 5000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

async function spawnRouter(options: RouterProcessOptions, infoFile: string): Promise<RouterProcess> {
  const socket = routerSocket(options.home);
  await rm(infoFile, { force: true });
  await mkdir(path.dirname(options.logFile), { recursive: true });
  const log = await open(options.logFile, 'a', 0o600);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, [routerEntry(), socket, infoFile], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: process.env.NODE_ENV ?? 'production' },
    });
  } finally {
    await log.close();
  }
  child.unref();
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ?? `code ${code}`;
  });
  const control = routerControl(socket);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && exited === undefined) {
    if (existsSync(infoFile)) {
      const info = await control.info().catch(() => undefined);
      if (info !== undefined) {
        options.log(`started the router (pid ${info.pid}); its log: ${options.logFile}`);
        return { control, pid: info.pid, adopted: false, info };
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await control.close();
  const tail = (await readFile(options.logFile, 'utf8').catch(() => '')).split('\n').slice(-10).join('\n');
  throw new FlowlineError(
    'FLOWLINE_ROUTER_UNAVAILABLE',
    exited === undefined
      ? `The router process did not answer within ${START_TIMEOUT_MS / 1000} s.`
      : `The router process exited (${exited}) while starting.`,
    { hint: `Its log, ${options.logFile}, ends:\n${tail}` },
  );
}

/** The router's entry point: beside this module in dist/, or in dist/ when this runs from src/ (tests). */
function routerEntry(): string {
  const beside = fileURLToPath(new URL('./main.js', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../dist/router/main.js', import.meta.url));
}
