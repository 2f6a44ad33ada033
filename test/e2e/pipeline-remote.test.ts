import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../src/app/api.js';
import { createFlowline, type Flowline } from '../../src/app/flowline.js';
import { createArtifactStore } from '../../src/artifacts/index.js';
import { systemClock } from '../../src/core/clock.js';
import { loadSettings } from '../../src/core/settings.js';
import type { Listening } from '../../src/server/index.js';
import { type CliProcess, readDb, runCli, startCli, tempDir, until } from './helpers.js';

// "CI is a dumb trigger": `flowline run` executes on the calling machine (the CLI as a child
// process, a real git repo) and records the run on a real server on loopback. Assertions are
// made on the server: its store, its API, and the CLI pointed at it.

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Flowline;
let api: Listening;
let repo: string;
const tokens = { ci: '', deploy: '', read: '', admin: '' };
const TOKEN_NAMES = { ci: 'builder', deploy: 'ci-deploy', read: 'ci-read', admin: 'ci-admin' } as const;
const SECRET = 's3cr3t-9f8e7d';

interface Report {
  runId: string;
  status: string;
  artifact: { digest: string; cached: boolean } | null;
  stages: { name: string; status: string; reason: string | null }[];
  server: { url: string; recorded: boolean };
}

beforeAll(async () => {
  dir = await tempDir('flowline-remote-');
  server = await createFlowline(loadSettings({ FLOWLINE_HOME: path.join(dir.path, 'server') }, dir.path));
  api = await startApi(server, { port: 0, host: '127.0.0.1' });
  for (const role of ['ci', 'deploy', 'read', 'admin'] as const) {
    tokens[role] = (await server.tokens.create({ name: TOKEN_NAMES[role], role }, server.localActor)).secret;
  }
  repo = path.join(dir.path, 'repo');
  await mkdir(path.join(repo, 'src'), { recursive: true });
  await writeFile(
    path.join(repo, 'flowline.yaml'),
    `version: 1
service: shop
build:
  command: mkdir -p out && cp src/app.sh out/
  inputs: ["src/**"]
  output: out
stages:
  unit:
    steps:
      - run: 'echo "using $API_SECRET"; test "$(cat verdict)" = pass'
secrets: [API_SECRET]
`,
  );
  await writeFile(path.join(repo, 'src', 'app.sh'), 'echo hello\n');
  await writeFile(path.join(repo, '.gitignore'), 'out\n');
  await commit('fail', 'a failing change');
});

afterAll(async () => {
  await api.close();
  await server.close();
  execFileSync('chmod', ['-R', 'u+w', dir.path]); // artifacts are read-only
  await dir.dispose();
});

/** Commits `verdict` (outside the build inputs, so the cache key stays the same). */
async function commit(verdict: 'pass' | 'fail', message: string): Promise<void> {
  await writeFile(path.join(repo, 'verdict'), `${verdict}\n`);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
  if (message === 'a failing change') git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-qm', message);
}

/** The CLI on a "CI machine" with its own FLOWLINE_HOME, pointed at the server. */
function onMachine(machine: string, args: string[], token = tokens.ci) {
  return runCli(args, {
    cwd: repo,
    env: {
      FLOWLINE_HOME: path.join(dir.path, machine),
      FLOWLINE_URL: api.url,
      FLOWLINE_TOKEN: token,
      API_SECRET: SECRET,
    },
  });
}

async function runOn(machine: string) {
  const res = await onMachine(machine, ['run', '--json']);
  return { ...res, report: JSON.parse(res.stdout) as Report };
}

async function call(method: string, route: string, token: string, body?: Buffer, type?: string) {
  const res = await fetch(api.url + route, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(type === undefined ? {} : { 'content-type': type }),
    },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, never> };
}

let failedRun: Report;

describe('flowline run against a server', () => {
  it('records a failing trunk run there: run, stages, masked logs, the artifact, and a red andon', async () => {
    const { code, report, stderr } = await runOn('machine-a');
    expect({ code, stderr }).toMatchObject({ code: 1 });
    expect(report).toMatchObject({ status: 'failed', server: { url: api.url, recorded: true } });
    failedRun = report;

    const run = await server.catalog.findRun(report.runId);
    expect(run).toMatchObject({ status: 'failed', branch: 'main', commitMessage: 'a failing change' });
    expect(run?.artifactId).toBe(report.artifact?.digest);
    expect(run?.finishedAt).not.toBeNull();
    const stages = await server.pipeline.stages(report.runId);
    expect(stages.map((s) => [s.name, s.status])).toEqual([
      ['build', 'succeeded'],
      ['unit', 'failed'],
    ]);
    expect(stages.find((s) => s.name === 'unit')?.exitCode).toBe(1);
    // The runner sent each stage's needs, so the dashboard can draw the run's graph.
    expect(stages.map((s) => [s.name, s.needs])).toEqual([
      ['build', []],
      ['unit', ['build']],
    ]);

    // The artifact is on the server, whole, and recorded for the service: deploys find it there.
    const digest = report.artifact?.digest ?? '';
    await expect(server.artifacts.verify(digest)).resolves.toMatchObject({ digest });
    expect((await server.catalog.listArtifacts({ service: 'shop' })).map((a) => a.id)).toEqual([digest]);
    const verified = await onMachine(
      'laptop',
      ['artifacts', 'verify', digest.slice(0, 15), '--json'],
      tokens.read,
    );
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, artifact: { digest } });

    const logs = await onMachine('laptop', ['logs', report.runId, 'unit'], tokens.read);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('using ***');
    expect(`${logs.stdout}${stderr}`).not.toContain(SECRET);
    const json = JSON.parse(
      (await onMachine('laptop', ['logs', report.runId, '--json'], tokens.read)).stdout,
    ) as {
      stages: { name: string; lines: { text: string }[] }[];
    };
    expect(json.stages.map((s) => s.name)).toEqual(['build', 'unit']);
    // The build output's one file, and the flowline.yaml sealed beside it.
    expect(json.stages[0]?.lines.map((l) => l.text)).toContainEqual(
      expect.stringMatching(new RegExp(`^# artifact ${digest} \\(2 files, \\d+ bytes\\)$`)),
    );

    const andon = JSON.parse(
      (await onMachine('laptop', ['andon', 'status', '--json'], tokens.read)).stdout,
    ) as {
      andon: { service: string; state: string; runId: string; reason: string }[];
    };
    expect(andon.andon).toEqual([
      expect.objectContaining({ service: 'shop', state: 'red', runId: report.runId, reason: 'unit failed' }),
    ]);
    const audit = await server.audit.list({ target: `run:${report.runId}` });
    expect(audit.map((e) => [e.action, e.actor.name])).toEqual([
      ['run.finish', 'builder'],
      ['run.start', 'builder'],
    ]);
  });

  it('reuses the artifact on a second machine by cache key, and turns the andon green when the trunk passes', async () => {
    await commit('pass', 'fix the test');
    const { code, report } = await runOn('machine-b');
    expect(code).toBe(0);
    const build = report.stages.find((s) => s.name === 'build');
    expect(build?.status).toBe('cached');
    expect(build?.reason).toContain(`from the server at ${api.url}`);
    expect(report.artifact).toMatchObject({ digest: failedRun.artifact?.digest, cached: true });
    expect(await server.andon.status('shop')).toMatchObject({ state: 'green', runId: report.runId });
    expect((await server.catalog.findRun(report.runId))?.status).toBe('succeeded');
    const logs = await onMachine('laptop', ['logs', report.runId, 'build'], tokens.read);
    expect(logs.stdout).toContain(`reusing artifact ${failedRun.artifact?.digest} from the server`);
  });

  it('records the commit history on the server: all of it first, then only what is new, from any machine', async () => {
    const walks = await server.store.db
      .selectFrom('run_histories')
      .selectAll()
      .orderBy('recorded_at')
      .execute();
    // machine-b had never run here: it learnt from the server where to stop.
    expect(walks.map((w) => [w.run_id === failedRun.runId, w.commits, w.truncated, w.shallow])).toEqual([
      [true, 1, 0, 0],
      [false, 1, 0, 0],
    ]);
    const commits = await server.store.db
      .selectFrom('commits')
      .select(['subject', 'parents_json', 'author', 'lines_added'])
      .orderBy('authored_at')
      .orderBy('subject')
      .execute();
    expect(commits.map((c) => c.subject).sort()).toEqual(['a failing change', 'fix the test']);
    const fix = commits.find((c) => c.subject === 'fix the test');
    expect(JSON.parse(fix?.parents_json ?? '[]')).toHaveLength(1);
    expect(fix).toMatchObject({ author: 'Dev <dev@example.com>', lines_added: 1 });
  });

  it('refuses a token that may only read, before running anything', async () => {
    const before = (await server.catalog.listRuns()).length;
    const res = await onMachine('machine-c', ['run', '--json'], tokens.read);
    expect(res.code).toBe(5);
    expect(JSON.parse(res.stdout).error).toMatchObject({
      code: 'FLOWLINE_FORBIDDEN',
      message: expect.stringContaining('needs the ci role'),
    });
    expect((await server.catalog.listRuns()).length).toBe(before);
    const direct = await call('POST', '/v1/runs', tokens.read, Buffer.from('{}'), 'application/json');
    expect(direct).toMatchObject({ status: 403, body: { error: { code: 'FLOWLINE_FORBIDDEN' } } });
  });

  it('refuses a tampered artifact upload with a clear code and keeps nothing, and re-uploads cheaply', async () => {
    const local = createArtifactStore({ root: path.join(dir.path, 'forger'), clock: systemClock });
    await mkdir(path.join(dir.path, 'forged'), { recursive: true });
    await writeFile(path.join(dir.path, 'forged', 'app.sh'), 'echo trustworthy\n');
    const ref = await local.put(path.join(dir.path, 'forged'));
    const chunks: Buffer[] = [];
    for await (const chunk of await local.pack(ref.digest)) chunks.push(Buffer.from(chunk as Uint8Array));
    const good = Buffer.concat(chunks);
    const tampered = Buffer.from(good);
    tampered.write('E', tampered.indexOf('echo trustworthy'));
    const route = `/v1/artifacts/${ref.digest}?service=shop&cacheKey=sha256:${'0'.repeat(64)}`;

    const refused = await call('PUT', route, tokens.ci, tampered, 'application/x-tar');
    expect(refused).toMatchObject({
      status: 400,
      body: { error: { code: 'FLOWLINE_ARTIFACT_UPLOAD_REJECTED' } },
    });
    expect(await server.artifacts.get(ref.digest)).toBeUndefined();
    const truncated = await call('PUT', route, tokens.ci, good.subarray(0, 700), 'application/x-tar');
    expect(truncated.body).toMatchObject({ error: { code: 'FLOWLINE_ARTIFACT_UPLOAD_REJECTED' } });
    expect(await server.artifacts.get(ref.digest)).toBeUndefined();

    const reader = await call('PUT', route, tokens.read, good, 'application/x-tar');
    expect(reader.status).toBe(403);
    const accepted = await call('PUT', route, tokens.ci, good, 'application/x-tar');
    expect(accepted).toMatchObject({ status: 200, body: { received: true, stored: { digest: ref.digest } } });
    const again = await call('PUT', route, tokens.ci, good, 'application/x-tar');
    expect(again.body).toMatchObject({ received: false });
    const content = await fetch(`${api.url}/v1/artifacts/${ref.digest}/content`, {
      headers: { authorization: `Bearer ${tokens.read}` },
    });
    const copy = createArtifactStore({ root: path.join(dir.path, 'copy'), clock: systemClock });
    const body = Readable.fromWeb(content.body as import('node:stream/web').ReadableStream<Uint8Array>);
    expect((await copy.receive(ref.digest, body)).ref.digest).toBe(ref.digest);
  });

  it('pulls and releases the andon cord through the server, with its roles, audited as the token', async () => {
    const pull = await onMachine(
      'laptop',
      ['andon', 'pull', '--service', 'shop', '--reason', 'payments double-charge'],
      tokens.read,
    );
    expect(pull.code).toBe(0);
    expect(await server.andon.status('shop')).toMatchObject({
      state: 'red',
      cause: 'pull',
      actor: 'ci-read',
    });
    const denied = await onMachine(
      'laptop',
      ['andon', 'release', '--service', 'shop', '--reason', 'fixed'],
      tokens.deploy,
    );
    expect(denied.code).toBe(5);
    expect(denied.stderr).toContain('FLOWLINE_FORBIDDEN');
    const release = await onMachine(
      'laptop',
      ['andon', 'release', '--service', 'shop', '--reason', 'refunds issued', '--json'],
      tokens.admin,
    );
    expect(JSON.parse(release.stdout)).toMatchObject({
      changed: true,
      andon: { state: 'green', actor: 'ci-admin' },
    });
    const events = await server.audit.list({ action: 'andon.' });
    expect(events.slice(0, 2).map((e) => [e.action, e.actor.name, e.details.reason])).toEqual([
      ['andon.release', 'ci-admin', 'refunds issued'],
      ['andon.pull', 'ci-read', 'payments double-charge'],
    ]);
  });
});

// The same, with `flowline serve` as the server: logs stream while a stage runs, and a run
// whose CI job is killed is reaped. A stage prints, waits for a gate file the test creates,
// then prints again: what the server shows before the gate exists came while the stage ran.

/** A `flowline serve` of its own, reaping often; `timeout` is its FLOWLINE_RUNNER_TIMEOUT. */
async function serve(name: string, timeout?: string) {
  const home = path.join(dir.path, name);
  const cli = await startCli(
    ['serve', '--port', '0', '--router-port', '0', '--reap-interval', '200ms'],
    /router on/,
    {
      cwd: repo,
      env: { FLOWLINE_HOME: home, ...(timeout === undefined ? {} : { FLOWLINE_RUNNER_TIMEOUT: timeout }) },
    },
  );
  const daemon = JSON.parse(await readFile(path.join(home, 'daemon.json'), 'utf8')) as {
    apiUrl: string;
    secret: string;
  };
  return { cli, home, env: { FLOWLINE_URL: daemon.apiUrl, FLOWLINE_TOKEN: daemon.secret } };
}

/** A pipeline of service `name` whose stage `talk` prints, waits for `<name>.gate`, and prints again. */
async function gatedConfig(name: string): Promise<string> {
  const file = `${name}.yaml`;
  await writeFile(
    path.join(repo, file),
    `version: 1
service: ${name}
build:
  command: mkdir -p out && cp src/app.sh out/
  inputs: ["src/**"]
  output: out
stages:
  talk:
    steps:
      - run: 'w=line; echo "first $w"; while [ ! -f ${name}.gate ]; do sleep 0.1; done; echo "second $w"'
`,
  );
  return file;
}

/** The id of the service's run on a server, once recorded there. */
function recordedRun(home: string, service: string) {
  return until(
    `a run of ${service} recorded on the server`,
    async () =>
      readDb({ FLOWLINE_HOME: home }, (db) =>
        db
          .prepare(
            'SELECT runs.id AS id FROM runs JOIN services ON services.id = runs.service_id WHERE services.name = ?',
          )
          .get(service),
      ) as { id: string } | undefined,
    (row) => row !== undefined,
  ).then((row) => row?.id ?? '');
}

const exited = (cli: CliProcess) =>
  new Promise<number | null>((resolve) => {
    if (cli.child.exitCode !== null || cli.child.signalCode !== null) return resolve(cli.child.exitCode);
    cli.child.once('exit', (code) => resolve(code));
  });

describe('flowline run against flowline serve', () => {
  let live: Awaited<ReturnType<typeof serve>>;
  let reaping: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    [live, reaping] = await Promise.all([serve('served-live'), serve('served-reaping', '3s')]);
  });
  afterAll(async () => {
    await Promise.all([live.cli.stop(), reaping.cli.stop()]);
    // Let any step a killed runner left behind finish.
    await Promise.all(['live', 'dead'].map((name) => writeFile(path.join(repo, `${name}.gate`), '')));
  });

  it("streams a stage log while the stage runs, and ends byte-identical to the runner's log file", async () => {
    const config = await gatedConfig('live');
    const machine = path.join(dir.path, 'machine-live');
    const running = runCli(['run', '--config', config, '--json'], {
      cwd: repo,
      env: { FLOWLINE_HOME: machine, ...live.env },
    });
    const runId = await recordedRun(live.home, 'live');
    const follow = await startCli(['logs', runId, 'talk', '--follow'], /first line/, {
      cwd: repo,
      env: { FLOWLINE_HOME: path.join(dir.path, 'laptop'), ...live.env },
    });
    // The first line came through while the stage waits for its gate: it has not ended.
    const { stages } = await serverView(live.env, runId);
    expect(stages.find((s) => s.name === 'talk')?.status).toBe('running');
    expect(follow.output()).not.toContain('second line');

    await writeFile(path.join(repo, 'live.gate'), '');
    expect(await exited(follow)).toBe(0);
    const shown = follow.output();
    expect(shown.indexOf('first line')).toBeLessThan(shown.indexOf('second line'));
    const { code, stdout } = await running;
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as Report).runId).toBe(runId);

    for (const stage of ['build', 'talk']) {
      const local = await readFile(path.join(machine, 'runner', 'logs', runId, `${stage}.log`));
      const stored = await readFile(path.join(live.home, 'logs', runId, `${stage}.log`));
      expect(stored.equals(local)).toBe(true);
    }
    expect(await readFile(path.join(live.home, 'logs', runId, 'talk.log'), 'utf8')).toMatch(
      /^\+\d+\.\d{3}s \$ .*\n\+\d+\.\d{3}s first line\n\+\d+\.\d{3}s second line\n$/,
    );
  });

  it('reaps the run of a runner killed mid-stage: failed with the reason, andon red, late messages refused', async () => {
    const config = await gatedConfig('dead');
    const runner = await startCli(['run', '--config', config], /first line/, {
      cwd: repo,
      env: { FLOWLINE_HOME: path.join(dir.path, 'machine-dead'), ...reaping.env },
    });
    const runId = await recordedRun(reaping.home, 'dead');
    await until(
      'the stage running on the server',
      () => serverView(reaping.env, runId),
      (view) => view.stages.some((s) => s.name === 'talk' && s.status === 'running'),
    );
    runner.child.kill('SIGKILL');
    await exited(runner);

    const reaped = await until(
      'the run reaped',
      () => serverView(reaping.env, runId),
      (view) => view.run.status !== 'running',
    );
    expect(reaped.run.status).toBe('failed');
    const talk = reaped.stages.find((s) => s.name === 'talk');
    expect(talk?.status).toBe('failed');
    expect(talk?.reason).toMatch(
      /^the runner stopped reporting at \d{4}-\d\d-\d\dT[\d:.]+Z: its CI job was probably killed$/,
    );

    const andon = await runCli(['andon', 'status', '--json'], {
      cwd: repo,
      env: { FLOWLINE_HOME: path.join(dir.path, 'laptop'), ...reaping.env },
    });
    expect((JSON.parse(andon.stdout) as { andon: unknown[] }).andon).toEqual([
      expect.objectContaining({ service: 'dead', state: 'red', runId, reason: talk?.reason }),
    ]);

    const late = await fetch(`${reaping.env.FLOWLINE_URL}/v1/runs/${runId}/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reaping.env.FLOWLINE_TOKEN}` },
    });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: { code: 'FLOWLINE_RUN_REAPED' } });
  });
});

/** A run with its stages, from a server's API. */
async function serverView(env: { FLOWLINE_URL: string; FLOWLINE_TOKEN: string }, runId: string) {
  const res = await fetch(`${env.FLOWLINE_URL}/v1/runs/${runId}`, {
    headers: { authorization: `Bearer ${env.FLOWLINE_TOKEN}` },
  });
  return (await res.json()) as {
    run: { status: string };
    stages: { name: string; status: string; reason: string | null }[];
  };
}
