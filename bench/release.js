// What the release benchmarks (zero-downtime, deploy-timing, canary-rollback) share: a real
// `flowline serve` (the built CLI, dist/) on a copy of examples/hello with two artifacts built by
// `flowline run`, driven through the CLI and the API as a user would; and a load generator that
// records which revision answered each request.
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const CLI = fileURLToPath(new URL('../bin/flowline.js', import.meta.url));
const HELLO = fileURLToPath(new URL('../examples/hello', import.meta.url));

/** The example service's run section: 2 instances, a quick health check, one smoke check. */
const RUN = `version: 1
service: hello
build:
  command: node scripts/build.js
  inputs: ["src/**", "scripts/build.js", "package.json"]
  output: dist
run:
  command: node server.js
  port: { env: PORT }
  instances: 2
  health: { path: /healthz, interval: 200ms, timeout: 1s, startPeriod: 10s }
  smoke:
    - { name: version, path: /version, expectBody: { jsonPath: $.service, equals: hello } }
  shutdown: { gracePeriod: 5s }
`;

/**
 * @typedef {{ code: number | null, stdout: string, stderr: string, exitedMs: number, startedAt: number }} CliRun
 *   `startedAt`: epoch ms of the spawn; `exitedMs`: ms from the spawn to the exit.
 * @typedef {{ at: string, kind: string, message: string }} JournalLine
 * @typedef {{ deployment: { id: string, status: string, reason: string | null, startedAt: string },
 *   phase: string | null, traffic: { revision: string, weight: number }[], journal: JournalLine[] }} Release
 * @typedef {{ start: number, end: number, status: number, revision: string }} Answer
 *   Times in epoch ms (sub-ms resolution); status 0: no answer (reset, refused, timeout).
 */

/**
 * The environment of a fresh shell, minus anything pointing Flowline elsewhere.
 * @param {Record<string, string>} extra
 * @returns {Record<string, string>}
 */
function cleanEnv(extra) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('FLOWLINE_')) env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/**
 * Builds two artifacts of the example service and starts `flowline serve` on them.
 * @param {string} environments The `environments:` (and `analysis:`) sections of flowline.yaml.
 */
export async function startFlowline(environments) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-bench-release-'));
  const repo = path.join(dir, 'hello');
  const env = cleanEnv({ FLOWLINE_HOME: path.join(dir, 'state') });
  await cp(HELLO, repo, {
    recursive: true,
    filter: (src) => !/[/\\](node_modules|\.flowline|dist)$/.test(src),
  });
  await writeFile(path.join(repo, 'flowline.yaml'), RUN + environments);
  const git = (/** @type {string[]} */ ...args) =>
    execFileSync('git', args, {
      cwd: repo,
      env: {
        ...env,
        GIT_AUTHOR_NAME: 'b',
        GIT_AUTHOR_EMAIL: 'b@b',
        GIT_COMMITTER_NAME: 'b',
        GIT_COMMITTER_EMAIL: 'b@b',
      },
    });

  /**
   * Runs the CLI to its end; `onLine` gets each stderr line (progress) with the ms since spawn.
   * @param {string[]} args
   * @param {(line: string, ms: number) => void} [onLine]
   * @returns {Promise<CliRun>}
   */
  const cli = (args, onLine) =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const startedAt = performance.timeOrigin + started;
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: repo,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let partial = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        const ms = performance.now() - started;
        stderr += d;
        const lines = (partial + d).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onLine?.(line.replace(/^│ /, ''), ms);
      });
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({ code, stdout, stderr, exitedMs: performance.now() - started, startedAt }),
      );
    });
  /** @param {string[]} args */
  const must = async (args) => {
    const res = await cli(args);
    if (res.code !== 0) throw new Error(`flowline ${args.join(' ')} exited ${res.code}:\n${res.stderr}`);
    return res;
  };
  const build = async () => JSON.parse((await must(['run', '--json'])).stdout).artifact.digest;

  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'first');
  const a = /** @type {string} */ (await build());
  await writeFile(path.join(repo, 'src', 'extra.js'), 'export const extra = 2;\n');
  git('add', '-A');
  git('commit', '-qm', 'second');
  const b = /** @type {string} */ (await build());

  /**
   * Starts `flowline serve` and resolves once its router listens.
   * @param {string[]} ports
   */
  const startServer = async (ports) => {
    const child = spawn(process.execPath, [CLI, 'serve', ...ports], {
      cwd: repo,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    const gone = new Promise((resolve) => child.once('exit', resolve));
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`flowline serve not ready after 60 s:\n${log}`)),
        60_000,
      );
      child.stderr.on('data', (d) => {
        log += d;
        const match = /router on (http:\/\/[\d.:]+)/.exec(log);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`flowline serve exited ${code}:\n${log}`)));
    });
    return { child, gone, url: /** @type {string} */ (url) };
  };
  let server = await startServer(['--port', '0', '--router-port', '0']);
  const routerUrl = server.url;
  let daemon = JSON.parse(await readFile(path.join(env.FLOWLINE_HOME ?? '', 'daemon.json'), 'utf8'));

  /** @param {string} environment @returns {Promise<Release>} */
  const release = async (environment) => {
    const res = await fetch(`${daemon.apiUrl}/v1/releases/hello/${environment}?lines=500`, {
      headers: { authorization: `Bearer ${daemon.secret}` },
    });
    return /** @type {Release} */ (await res.json());
  };

  /**
   * POST /v1/deploy as the CLI sends it, without the CLI; `onLine` gets each NDJSON progress
   * line with the ms since the request was sent. Resolves with the stream's last line.
   * @param {{ environment: string, artifact: string }} body
   * @param {(line: string, ms: number) => void} onLine
   */
  const apiDeploy = async (body, onLine) => {
    const started = performance.now();
    const res = await fetch(`${daemon.apiUrl}/v1/deploy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${daemon.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'hello', ...body }),
    });
    const decoder = new TextDecoder();
    let buffered = '';
    let last = '';
    for await (const chunk of /** @type {AsyncIterable<Uint8Array>} */ (res.body ?? [])) {
      const ms = performance.now() - started;
      buffered += decoder.decode(chunk, { stream: true });
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const message = JSON.parse(line);
        if (message.type === 'progress') onLine(message.line, ms);
        last = line;
      }
    }
    return /** @type {{ type: string }} */ (JSON.parse(last));
  };

  return {
    artifacts: /** @type {[string, string]} */ ([a, b]),
    apiDeploy,
    /** The API's address and the local admin secret (from daemon.json; new after a restart). */
    api: () => /** @type {{ apiUrl: string, secret: string }} */ (daemon),
    routerUrl: /** @type {string} */ (routerUrl),
    cli,
    must,
    release,
    /**
     * Polls the release until `check` holds (at most 60 s).
     * @param {string} environment @param {(r: Release) => boolean} check
     */
    async until(environment, check) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const current = await release(environment);
        if (check(current)) return current;
        if (Date.now() > deadline)
          throw new Error(`release of ${environment} stuck: ${JSON.stringify(current)}`);
        await delay(50);
      }
    },
    /**
     * The instance URLs of the latest deployment's revision, from its journal ("✔ 2 healthy: …").
     * @param {string} environment
     */
    async instanceUrls(environment) {
      const line = (await release(environment)).journal.find((l) => /^✔ \d+ healthy: /.test(l.message));
      return line?.message.split(': ')[1]?.split(' ') ?? [];
    },
    /**
     * Kills `flowline serve` with `signal` and starts it again on the same ports; resolves once the
     * new one is ready. Its router, a process of its own, is adopted, not restarted.
     * @param {NodeJS.Signals} signal
     */
    async restart(signal) {
      server.child.kill(signal);
      await server.gone;
      const api = new URL(daemon.apiUrl).port;
      server = await startServer(['--port', api, '--router-port', new URL(routerUrl).port]);
      daemon = JSON.parse(await readFile(path.join(env.FLOWLINE_HOME ?? '', 'daemon.json'), 'utf8'));
    },
    async stop() {
      server.child.kill('SIGTERM');
      await server.gone;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Keep-alive load through the router (undici, `connections` requests at a time, back to back)
 * that records when each request started and ended, its status and the revision that answered.
 * Runs until `stop()` (or 120 s at most).
 * @param {{ url: string, host: string, connections: number }} options
 */
export function startRevisionLoad({ url, host, connections }) {
  const pool = new Pool(url, { connections, pipelining: 1 });
  /** @type {Answer[]} */
  const answers = [];
  const now = () => performance.timeOrigin + performance.now();
  const deadline = Date.now() + 120_000;
  let stopped = false;
  const worker = async () => {
    while (!stopped && Date.now() < deadline) {
      const start = now();
      try {
        const res = await pool.request({
          path: '/api/hello',
          method: 'GET',
          headers: { host },
          headersTimeout: 10_000,
        });
        await res.body.dump();
        const revision = res.headers['x-flowline-revision'];
        answers.push({
          start,
          end: now(),
          status: res.statusCode,
          revision: typeof revision === 'string' ? revision : '',
        });
      } catch {
        answers.push({ start, end: now(), status: 0, revision: '' });
      }
    }
  };
  const done = Promise.all(Array.from({ length: connections }, worker));
  return {
    async stop() {
      stopped = true;
      await done;
      await pool.close();
      return answers;
    },
  };
}

/** The machine's load averages, e.g. "3.1 2.8 2.5": the context of every figure. */
export function loadAverage() {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}
