// `flowline run` against bare shell scripts running the same commands, interleaved in one run so
// machine noise hits both alike. Three cases, medians of `runs` each:
//   cached   examples/hello's pipeline, fully cached (build reused), vs `npm test; npm run lint; …` in sh
//   overhead N stages of `true` one at a time (maxParallel 1), vs `true` N times in sh: ms per stage
//   parallel N independent `sleep 0.5` stages, vs the sum of their sleeps
//   remote   the cached hello run recorded on a `flowline serve` (FLOWLINE_URL), vs the same run local
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, round } from './lib/stats.js';

const CLI = fileURLToPath(new URL('../bin/flowline.js', import.meta.url));
const HELLO = fileURLToPath(new URL('../examples/hello', import.meta.url));

/**
 * A temp git repository with `files`, and a Flowline home beside it.
 * @param {string} root
 * @param {string} name
 * @param {(dir: string) => void} fill
 */
function makeRepo(root, name, fill) {
  const dir = path.join(root, name);
  fill(dir);
  const git = (/** @type {string[]} */ ...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-qm', 'bench');
  return { dir, home: path.join(root, `${name}-home`) };
}

/**
 * Wall time of one command in ms; throws when it fails.
 * @param {string} file
 * @param {string[]} args
 * @param {string} cwd
 * @param {Record<string, string>} [env]
 */
function timeOnce(file, args, cwd, env = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(file, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'ignore'],
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', ...env },
  });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${result.status} in ${cwd}`);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, stdout: result.stdout };
}

/**
 * Times `flowline run` in `repo` against `sh -c baseline` in the same folder, interleaved.
 * @param {{ dir: string; home: string }} repo
 * @param {string} baseline
 * @param {number} runs
 */
function compare(repo, baseline, runs) {
  const env = { FLOWLINE_HOME: repo.home };
  const run = () => timeOnce(process.execPath, [CLI, 'run', '--json'], repo.dir, env);
  run(); // builds, warms the caches
  /** @type {number[]} */ const flowline = [];
  /** @type {number[]} */ const inside = [];
  /** @type {number[]} */ const bare = [];
  for (let i = 0; i < runs; i++) {
    bare.push(timeOnce('/bin/sh', ['-c', baseline], repo.dir).ms);
    const { ms, stdout } = run();
    flowline.push(ms);
    inside.push(/** @type {{ durationMs: number }} */ (JSON.parse(stdout)).durationMs);
  }
  return { flowline: median(flowline), inside: median(inside), bare: median(bare) };
}

/**
 * `flowline serve` on a home of its own, with a ci-role token for the runner.
 * @param {string} root
 */
async function startServer(root) {
  const env = { ...process.env, FLOWLINE_HOME: path.join(root, 'server-home'), NO_COLOR: '1' };
  const created = execFileSync(
    process.execPath,
    [CLI, 'token', 'create', 'bench-ci', '--role', 'ci', '--json'],
    {
      env,
      encoding: 'utf8',
    },
  );
  const token = /** @type {{ secret: string }} */ (JSON.parse(created)).secret;
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--router-port', '0'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise((resolve, reject) => {
    let output = '';
    child.stderr.on('data', (/** @type {Buffer} */ data) => {
      output += data.toString();
      const match = /API on (http:\/\/[^\s,]+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`flowline serve exited ${code}:\n${output}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  return { url: /** @type {string} */ (url), token, stop };
}

/**
 * The cached hello run on its local store, against the same run recorded on a server (stages
 * execute here either way; the server gets the run, each stage, each log and the outcome).
 * @param {{ dir: string; home: string }} repo
 * @param {{ url: string; token: string }} server
 * @param {number} runs
 */
function compareRemote(repo, server, runs) {
  const local = () =>
    timeOnce(process.execPath, [CLI, 'run', '--json'], repo.dir, { FLOWLINE_HOME: repo.home });
  const remoteEnv = {
    FLOWLINE_HOME: `${repo.home}-ci`,
    FLOWLINE_URL: server.url,
    FLOWLINE_TOKEN: server.token,
  };
  const remote = () => timeOnce(process.execPath, [CLI, 'run', '--json'], repo.dir, remoteEnv);
  local();
  remote(); // builds in the runner's cache and uploads the artifact once
  /** @type {number[]} */ const localMs = [];
  /** @type {number[]} */ const remoteMs = [];
  for (let i = 0; i < runs; i++) {
    localMs.push(local().ms);
    remoteMs.push(remote().ms);
  }
  return { local: median(localMs), remote: median(remoteMs) };
}

/** @param {{ runs?: number; stages?: number; parallel?: number }} [options] */
export async function benchPipeline(options = {}) {
  const runs = options.runs ?? 5;
  const n = options.stages ?? 20;
  const p = options.parallel ?? 4;
  const root = mkdtempSync(path.join(os.tmpdir(), 'flowline-bench-pipeline-'));
  try {
    const hello = makeRepo(root, 'hello', (dir) => {
      cpSync(HELLO, dir, {
        recursive: true,
        filter: (src) => !/\/(node_modules|dist|\.flowline)(\/|$)/.test(src),
      });
      writeFileSync(path.join(dir, '.gitignore'), 'dist\n.flowline\n');
    });
    const cached = compare(hello, 'npm test && npm run lint && node --version && npm --version', runs);
    const server = await startServer(root);
    const recorded = await Promise.resolve()
      .then(() => compareRemote(hello, server, runs))
      .finally(() => server.stop());

    const stages = (/** @type {number} */ count, /** @type {string} */ run, /** @type {number} */ max) =>
      `version: 1\nservice: bench\npipeline:\n  maxParallel: ${max}\nstages:\n${Array.from(
        { length: count },
        (_, i) => `  s${i}:\n    needs: []\n    steps: [{ run: '${run}' }]\n`,
      ).join('')}`;
    const serial = makeRepo(root, 'serial', (dir) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'flowline.yaml'), stages(n, 'true', 1));
    });
    const one = makeRepo(root, 'one', (dir) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'flowline.yaml'), stages(1, 'true', 1));
    });
    const many = compare(serial, Array(n).fill('true').join('; '), runs);
    const single = compare(one, 'true', runs);
    const perStage = (many.flowline - single.flowline - (many.bare - single.bare)) / (n - 1);
    const perStageInside = (many.inside - single.inside - (many.bare - single.bare)) / (n - 1);

    const parallel = makeRepo(root, 'parallel', (dir) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'flowline.yaml'), stages(p, 'sleep 0.5', p));
    });
    const par = compare(parallel, Array(p).fill('sleep 0.5').join('; '), runs);

    return {
      name: 'pipeline',
      runs,
      results: [
        { case: 'hello: bare sh (npm test, lint, versions)', medianMs: round(cached.bare), ratio: 1 },
        {
          case: 'hello: flowline run, fully cached',
          medianMs: round(cached.flowline),
          ratio: round(cached.flowline / cached.bare),
        },
        {
          case: 'hello: the run itself (durationMs, without process start-up)',
          medianMs: round(cached.inside),
          ratio: round(cached.inside / cached.bare),
        },
        { case: 'hello: flowline run, fully cached, local store', medianMs: round(recorded.local), ratio: 1 },
        {
          case: 'hello: the same run recorded on a server (FLOWLINE_URL)',
          medianMs: round(recorded.remote),
          ratio: round(recorded.remote / recorded.local),
        },
        { case: `${n} stages of true: bare sh`, medianMs: round(many.bare), ratio: 1 },
        {
          case: `${n} stages of true: flowline run (maxParallel 1)`,
          medianMs: round(many.flowline),
          ratio: round(many.flowline / many.bare),
        },
        {
          case: '1 stage of true: flowline run (fixed cost: start-up, store, git, lock)',
          medianMs: round(single.flowline),
          ratio: round(single.flowline / single.bare),
        },
        { case: 'runner overhead per stage, wall (ms)', medianMs: round(perStage), ratio: null },
        {
          case: 'runner overhead per stage, inside the run (ms)',
          medianMs: round(perStageInside),
          ratio: null,
        },
        {
          case: `${p} x sleep 0.5: sum of the sleeps (sh, one after another)`,
          medianMs: round(par.bare),
          ratio: 1,
        },
        {
          case: `${p} x sleep 0.5: flowline run, parallel (wall)`,
          medianMs: round(par.flowline),
          ratio: round(par.flowline / par.bare),
        },
        {
          case: `${p} x sleep 0.5: the run itself (durationMs)`,
          medianMs: round(par.inside),
          ratio: round(par.inside / par.bare),
        },
      ],
    };
  } finally {
    execFileSync('chmod', ['-R', 'u+w', root]);
    rmSync(root, { recursive: true, force: true });
  }
}
