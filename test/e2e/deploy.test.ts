import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliProcess,
  type ExampleRepo,
  exampleRepo,
  getVia,
  gitIn,
  HELLO_BUILD,
  recordedPids,
  runCli,
  running,
  serveExample,
} from './helpers.js';

/**
 * Deploys the example service for real: `flowline run` builds artifacts, `flowline serve` runs
 * the router and supervisor, and the CLI deploys, switches and rolls back through it.
 */

const CONFIG = `${HELLO_BUILD}run:
  command: node server.js
  port: { env: PORT }
  instances: 2
  health: { path: /healthz, interval: 200ms, timeout: 1s, startPeriod: 5s }
  smoke:
    - { name: version, path: /version, expectBody: { jsonPath: $.service, equals: hello } }
  shutdown: { gracePeriod: 2s }
environments:
  staging:
    strategy: { blueGreen: { scaleDownDelay: 1h } }
  production:
    protected: true
    after: staging
    instances: 1
    strategy: { blueGreen: { scaleDownDelay: 0s } }
  sick:
    instances: 1
    env: { FAULT_UNHEALTHY: "1" }
  smokey:
    instances: 1
    strategy: { blueGreen: { scaleDownDelay: 0s } }
`;

let example: ExampleRepo;
let repo: string;
let env: Record<string, string>;
let server: CliProcess;
let routerUrl: string;

function git(...args: string[]): string {
  return gitIn(repo, ...args);
}

function via(host: string, route = '/version'): Promise<{ status: number; body: string }> {
  return getVia(routerUrl, host, route);
}

async function build(message: string): Promise<string> {
  const res = await runCli(['run', '--json'], { cwd: repo, env });
  expect(res.code, res.stderr).toBe(0);
  const report = JSON.parse(res.stdout) as { artifact: { digest: string } | null };
  expect(report.artifact?.digest, message).toMatch(/^sha256:/);
  return report.artifact?.digest ?? '';
}

beforeAll(async () => {
  example = await exampleRepo('flowline-deploy-', { 'flowline.yaml': CONFIG });
  ({ repo, env } = example);
  ({ server, routerUrl } = await serveExample(example));
}, 120_000);

afterAll(async () => {
  if (server !== undefined) expect(await server.stop()).toBe(0);
  // No instance may outlive the server that stopped them.
  const pids = recordedPids(env);
  expect(pids.length).toBeGreaterThan(0);
  expect(pids.filter(running)).toEqual([]);
  await example.dispose();
});

describe('deploying the example service', () => {
  let first: string;
  let second: string;

  it('deploys an artifact blue-green to staging and serves it through the router', async () => {
    first = await build('first build');
    const res = await runCli(['deploy', 'staging', '--json'], { cwd: repo, env });
    expect(res.code, res.stderr).toBe(0);
    const outcome = JSON.parse(res.stdout);
    expect(outcome.deployment).toMatchObject({
      environment: 'staging',
      artifactId: first,
      status: 'succeeded',
      // What metrics need, from the run's record of git: the commit, planned, the range known.
      commitSha: git('rev-parse', 'HEAD').trim(),
      kind: 'deploy',
      unplannedReason: null,
      rangeStatus: 'complete',
      outcome: 'succeeded',
      servedAt: expect.any(String),
    });
    const answer = await via('staging.hello.localhost');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).artifact).toBe(first);
  });

  it('refuses production until the same artifact succeeded in staging', async () => {
    await writeFile(path.join(repo, 'src', 'extra.js'), 'export const extra = 2;\n');
    git('add', '-A');
    git('commit', '-qm', 'second');
    second = await build('second build');
    expect(second).not.toBe(first);
    const res = await runCli(['deploy', 'production', '--artifact', second], { cwd: repo, env });
    expect(res.code).toBe(4);
    expect(res.stderr).toContain('FLOWLINE_DEPLOY_GATE');
  });

  it('switches staging to a new artifact, then rolls back instantly to the warm one', async () => {
    const deployed = await runCli(['deploy', 'staging', '--artifact', second, '--hotfix'], {
      cwd: repo,
      env,
    });
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stderr).toContain('stays warm for instant rollback');
    expect(JSON.parse((await via('staging.hello.localhost')).body).artifact).toBe(second);

    const rolled = await runCli(['rollback', 'staging'], { cwd: repo, env });
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.stderr).toContain('instant: it was warm');
    expect(JSON.parse((await via('staging.hello.localhost')).body).artifact).toBe(first);
    const listed = await runCli(['deployments', '--env', 'staging', '--json'], { cwd: repo, env });
    const [back, hotfix] = (JSON.parse(listed.stdout) as { deployments: Record<string, unknown>[] })
      .deployments;
    expect(back).toMatchObject({
      kind: 'rollback',
      unplannedReason: 'rollback',
      artifactId: first,
      outcome: 'succeeded',
    });
    // It completed, then a rollback deployment replaced it: that rollback is what metrics count.
    expect(hotfix).toMatchObject({
      kind: 'deploy',
      unplannedReason: 'hotfix',
      rangeStatus: 'complete',
      status: 'rolled_back',
      outcome: 'succeeded',
    });
  });

  it('promotes the artifact staging proved to production, by its own config, not an unbuilt edit', async () => {
    // An edit of flowline.yaml that was never built: the artifact's own config applies, and the
    // CLI says so (production keeps its 1 instance, not the 5 the edit asks for).
    const edited = CONFIG.replace('after: staging\n    instances: 1\n', 'after: staging\n    instances: 5\n');
    expect(edited).not.toBe(CONFIG);
    await writeFile(path.join(repo, 'flowline.yaml'), edited);
    const res = await runCli(['deploy', 'production'], { cwd: repo, env });
    await writeFile(path.join(repo, 'flowline.yaml'), CONFIG);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('flowline.yaml here is not the flowline.yaml sealed in');
    expect(res.stderr).toMatch(/│ starting 1 instance of /);
    expect(JSON.parse((await via('production.hello.localhost')).body).artifact).toBe(first);
  });

  it('fails a deployment whose health check never passes, and keeps the old revision serving', async () => {
    const res = await runCli(['deploy', 'sick', '--artifact', first], { cwd: repo, env });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('FLOWLINE_DEPLOY_FAILED');
    expect(res.stderr).toMatch(/did not become healthy/);
    expect((await via('sick.hello.localhost')).status).toBe(404);
    const deployments = JSON.parse((await runCli(['deployments', '--json'], { cwd: repo, env })).stdout);
    // It never served users: a failed deployment, not a rollback, and no incident.
    expect(deployments.deployments[0]).toMatchObject({
      environment: 'sick',
      status: 'failed',
      outcome: 'failed',
      servedAt: null,
    });
  });

  it('fails a deployment whose smoke check fails, and keeps the previous revision serving', async () => {
    const good = await runCli(['deploy', 'smokey', '--artifact', first], { cwd: repo, env });
    expect(good.code, good.stderr).toBe(0);
    // The same environment, configured so every request but the health check answers 500.
    const broken = CONFIG.replace(
      '  smokey:\n    instances: 1\n',
      '  smokey:\n    instances: 1\n    env: { FAULT_ERROR_RATE: "1" }\n',
    );
    // What runs is fixed by the artifact: build one with that config (its build output is reused).
    await writeFile(path.join(repo, 'broken.yaml'), broken);
    const built = await runCli(['run', '-c', 'broken.yaml', '--json'], { cwd: repo, env });
    expect(built.code, built.stderr).toBe(0);
    const sealed = (JSON.parse(built.stdout) as { artifact: { digest: string } }).artifact.digest;
    expect(sealed).not.toBe(second);
    const res = await runCli(['deploy', 'smokey', '--artifact', sealed], { cwd: repo, env });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /smoke check `version` failed: GET http:\/\/127\.0\.0\.1:\d+\/version answered 500/,
    );
    const answer = await via('smokey.hello.localhost');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).artifact).toBe(first);
    const listed = await runCli(['deployments', '--env', 'smokey', '-n', '1', '--json'], { cwd: repo, env });
    expect(JSON.parse(listed.stdout).deployments[0]).toMatchObject({ status: 'failed', outcome: 'failed' });
    const incidents = await runCli(['incident', 'list', '--all', '--json'], { cwd: repo, env });
    expect(JSON.parse(incidents.stdout).incidents).toEqual([]);
  });

  it('opens an incident linked to the last change, and resolves it once', async () => {
    const cli = (...args: string[]) => runCli(args, { cwd: repo, env });
    const last = JSON.parse((await cli('deployments', '--env', 'staging', '-n', '1', '--json')).stdout) as {
      deployments: { id: string }[];
    };
    const opened = await cli(
      'incident',
      'open',
      '--env',
      'staging',
      '--title',
      'checkout answers 500',
      '--json',
    );
    expect(opened.code, opened.stderr).toBe(0);
    const { incident } = JSON.parse(opened.stdout) as { incident: { id: string; cause: unknown } };
    expect(incident.cause).toEqual({ kind: 'deployment', id: last.deployments[0]?.id, inferred: true });
    expect((await cli('incident', 'ack', incident.id)).code).toBe(0);
    const resolved = await cli('incident', 'resolve', incident.id, '--resolution', 'rolled back');
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(resolved.stdout).toMatch(/Resolved inc_\w+ after \d+s\.$/m);
    const again = await cli('incident', 'resolve', incident.id);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('FLOWLINE_INCIDENT_RESOLVED');
    const listed = JSON.parse((await cli('incident', 'list', '--all', '--json')).stdout) as {
      incidents: { id: string; status: string; resolution: string }[];
    };
    expect(listed.incidents).toMatchObject([
      { id: incident.id, status: 'resolved', resolution: 'rolled back' },
    ]);
    expect((await cli('incident', 'list')).stdout).toBe('No unresolved incidents.\n');
  });

  it('records every deployment in the audit trail', async () => {
    const audit = JSON.parse(
      (await runCli(['audit', '--action', 'deploy', '--json'], { cwd: repo, env })).stdout,
    );
    const actions = audit.events.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['deploy.start', 'deploy.succeed', 'deploy.rollback', 'deploy.fail']),
    );
    expect((await runCli(['audit', 'verify'], { cwd: repo, env })).code).toBe(0);
  });
});

describe('a log file of the server', () => {
  it('never contains a token or a secret', async () => {
    const log = server.output();
    expect(log).not.toMatch(/flt_[A-Za-z0-9_-]{20,}/);
    const daemon = await readFile(path.join(env.FLOWLINE_HOME ?? '', 'daemon.json'), 'utf8');
    expect(log).not.toContain(JSON.parse(daemon).secret);
  });
});
