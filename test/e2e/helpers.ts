import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(REPO, 'bin', 'flowline.js');
export const EXAMPLE_CONFIG = path.join(REPO, 'examples', 'hello', 'flowline.yaml');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A temp folder that removes itself; use with `await using`-less code via `dispose()`. */
export async function tempDir(
  prefix = 'flowline-test-',
): Promise<{ path: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  // Traversable, as a repo folder is: instances run as an unprivileged user when the tests run as
  // root, and must reach their folders (FLOWLINE_WORK_DIR) below this one.
  await chmod(dir, 0o755);
  return { path: dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** The environment a user with a fresh shell would have, minus anything that points Flowline elsewhere. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('FLOWLINE_') && key !== 'DATABASE_URL') env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Runs the built CLI to completion; `input` is piped to its stdin (else stdin is empty). */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string | Buffer } = {},
) {
  return new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO,
      env: cleanEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.on('error', () => {}); // a command that never reads its stdin may exit first
    child.stdin.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Long-running CLI processes started by tests, stopped after each file even when a test fails. */
const started = new Set<ChildProcess>();

/** Stops every CLI process a test left running: SIGTERM (they drain and stop their instances), then SIGKILL. */
export async function stopStartedProcesses(): Promise<void> {
  await Promise.all(
    [...started].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  started.clear();
}

/** A long-running CLI process started by `startCli`. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** What `ready` matched. */
  readonly match: RegExpMatchArray;
  readonly output: () => string;
  /** SIGTERM, then the exit code, or the signal's name when a signal ended the process. */
  stop(): Promise<number | NodeJS.Signals | null>;
}

/** Starts a long-running CLI command and resolves once `ready` matches its output. */
export function startCli(
  args: readonly string[],
  ready: RegExp,
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO,
      env: cleanEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.add(child);
    child.once('exit', () => started.delete(child));
    let output = '';
    let settled = false;
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = output.match(ready);
      if (match && !settled) {
        settled = true;
        resolve({
          child,
          match,
          output: () => output,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) {
                return done(child.exitCode ?? child.signalCode);
              }
              child.once('exit', (code, sig) => done(code ?? sig));
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      if (!settled) reject(new Error(`flowline ${args.join(' ')} exited ${code} before ready:\n${output}`));
    });
  });
}

/** The example service in a temp git repository, with a Flowline home of its own. */
export interface ExampleRepo {
  /** The repository: a copy of examples/hello, committed once on `main`. */
  readonly repo: string;
  /** The environment for the CLI: `FLOWLINE_HOME` in the temp folder, beside the repository. */
  readonly env: Record<string, string>;
  /** Removes the repository and the Flowline home. */
  dispose(): Promise<void>;
}

/**
 * Copies examples/hello (without node_modules or .flowline) into a temp folder, writes `files`
 * over it (`flowline.yaml`, alternative configs, …) and commits it all as `first` on `main`.
 */
export async function exampleRepo(prefix: string, files: Record<string, string>): Promise<ExampleRepo> {
  const dir = await tempDir(prefix);
  const repo = path.join(dir.path, 'hello');
  await cp(path.join(REPO, 'examples', 'hello'), repo, {
    recursive: true,
    filter: (src) => !src.includes('node_modules') && !src.includes(`${path.sep}.flowline`),
  });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(repo, name), text);
  gitIn(repo, 'init', '-q', '-b', 'main');
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-qm', 'first');
  return { repo, env: { FLOWLINE_HOME: path.join(dir.path, 'state') }, dispose: dir.dispose };
}

/** A running `flowline serve` and the addresses it published. */
export interface Served {
  readonly server: CliProcess;
  /** The router's base URL, e.g. `http://127.0.0.1:41234`. */
  readonly routerUrl: string;
  readonly apiUrl: string;
  /** The API's bearer token, from daemon.json. */
  readonly secret: string;
}

/** Starts `flowline serve` on free ports in the example repository; resolves once its router listens. */
export async function serveExample(example: ExampleRepo, extraArgs: readonly string[] = []): Promise<Served> {
  const server = await startCli(
    ['serve', '--port', '0', '--router-port', '0', ...extraArgs],
    /router on (http:\/\/[\d.:]+)/,
    { cwd: example.repo, env: example.env },
  );
  const daemon = JSON.parse(
    await readFile(path.join(example.env.FLOWLINE_HOME ?? '', 'daemon.json'), 'utf8'),
  );
  return { server, routerUrl: server.match[1] ?? '', apiUrl: daemon.apiUrl, secret: daemon.secret };
}

/** Reads the Flowline database of a `FLOWLINE_HOME` read-only (the server may still be writing it). */
export function readDb<T>(env: Record<string, string>, read: (db: Database.Database) => T): T {
  const db = new Database(path.join(env.FLOWLINE_HOME ?? '', 'flowline.db'), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** The pids the runtime recorded for its instances (stopped ones have none). */
export function recordedPids(env: Record<string, string>): number[] {
  return readDb(env, (db) =>
    (db.prepare('SELECT pid FROM instances WHERE pid IS NOT NULL').all() as { pid: number }[]).map(
      (row) => row.pid,
    ),
  );
}

/** Runs git in `cwd` as a fixed test author; returns its trimmed output. */
export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'dev',
      GIT_AUTHOR_EMAIL: 'dev@example.com',
      GIT_COMMITTER_NAME: 'dev',
      GIT_COMMITTER_EMAIL: 'dev@example.com',
    },
  })
    .toString()
    .trim();
}

/** A GET through the router with a Host header (fetch may not set Host; node:http does). */
export function getVia(
  routerUrl: string,
  host: string,
  route = '/version',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(routerUrl + route, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

/** What one request through the router answered: its status and the revision that served it. */
export interface RoutedAnswer {
  readonly status: number;
  /** The revision that answered (`x-flowline-revision`), '' when none did. */
  readonly revision: string;
}

/**
 * One GET of `/api/hello` through the router (node:http: fetch may not set Host), bounded by a
 * 5 s timeout: the answer, or the code of the error that ended the request (ECONNREFUSED, TIMEOUT).
 * `agent: false` opens a connection of its own.
 */
export function routedGet(
  routerUrl: string,
  host: string,
  agent?: http.Agent | false,
): Promise<RoutedAnswer | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get(
      `${routerUrl}/api/hello`,
      { headers: { host }, ...(agent === undefined ? {} : { agent }) },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            revision: String(res.headers['x-flowline-revision'] ?? ''),
          }),
        );
      },
    );
    req.setTimeout(5000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

/** {@link routedGet} for traffic loops: a failed request answers status 0 instead of its error. */
export async function routedHello(
  routerUrl: string,
  host: string,
  agent?: http.Agent,
): Promise<RoutedAnswer> {
  const answer = await routedGet(routerUrl, host, agent);
  return 'error' in answer ? { status: 0, revision: '' } : answer;
}

/** Whether a process runs; a zombie (exited, not yet reaped by its new parent) does not. */
export function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Polls until `check` holds, at most `ms`; a bound that fails a stuck test, not an assertion about speed. */
export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T = await probe();
  while (!check(last)) {
    if (Date.now() > deadline)
      throw new Error(`${what}: not reached within ${ms} ms; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await probe();
  }
  return last;
}

/**
 * Signals a process group. Refuses anything but a real group id: `process.kill(-0)` would signal
 * the test runner's own group (and SIGSTOP or SIGKILL it) when a test failed to find its target.
 */
export function signalGroup(pgid: number | null | undefined, signal: NodeJS.Signals): void {
  if (pgid === null || pgid === undefined || !Number.isInteger(pgid) || pgid <= 1) {
    throw new Error(`no process group to send ${signal} to (got ${String(pgid)})`);
  }
  process.kill(-pgid, signal);
}

/**
 * Builds an artifact once per config file (`flowline run -c FILE --json`) and remembers its digest:
 * what runs is fixed by the artifact, so a test that deploys another config builds with it.
 */
export function artifactsBuiltBy(cli: (...args: string[]) => Promise<CliResult>) {
  const built = new Map<string, string>();
  return async (file = 'flowline.yaml'): Promise<string> => {
    const known = built.get(file);
    if (known !== undefined) return known;
    const res = await cli('run', '--config', file, '--json');
    if (res.code !== 0) throw new Error(`flowline run -c ${file} exited ${res.code}:\n${res.stderr}`);
    const digest = (JSON.parse(res.stdout) as { artifact: { digest: string } }).artifact.digest;
    built.set(file, digest);
    return digest;
  };
}

/** The example service's flowline.yaml up to its build: each e2e test adds its run and environments. */
export const HELLO_BUILD = `version: 1
service: hello
build:
  command: node scripts/build.js
  inputs: ["src/**", "scripts/build.js", "package.json"]
  output: dist
`;

/**
 * The head of the example service's flowline.yaml that the release e2e tests share: its build,
 * and one instance with health checks quick enough for tests. Each test adds its environments.
 */
export const HELLO_SERVICE = `${HELLO_BUILD}run:
  command: node server.js
  port: { env: PORT }
  instances: 1
  health: { path: /healthz, interval: 200ms, timeout: 1s, startPeriod: 10s }
  shutdown: { gracePeriod: 2s }
`;

/**
 * The analysis template the canary e2e tests share: the router's error rate of the canary, four
 * measurements a quarter second apart, any one at 5% or more fails it.
 */
export const ERROR_RATE_ANALYSIS = `analysis:
  templates:
    errors:
      metrics:
        - name: error-rate
          initialDelay: 500ms
          interval: 250ms
          count: 4
          successCondition: result < 0.05
          failureLimit: 0
          provider:
            router: { signal: errorRate, window: 2s }
`;
