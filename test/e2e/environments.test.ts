import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliProcess,
  type ExampleRepo,
  exampleRepo,
  getVia,
  gitIn,
  HELLO_BUILD,
  readDb,
  recordedPids,
  runCli,
  running,
  serveExample,
  signalGroup,
  until,
} from './helpers.js';

/**
 * Preview environments for real: `flowline run` builds artifacts on two branches, `flowline
 * serve` runs the router, the supervisor and the TTL reaper (every 200 ms here), and the CLI
 * creates, lists and deletes previews through it.
 */

const CONFIG = `${HELLO_BUILD}run:
  command: node server.js
  port: { env: PORT }
  instances: 2
  health: { path: /healthz, interval: 200ms, timeout: 500ms, startPeriod: 5s, failureThreshold: 2 }
  shutdown: { gracePeriod: 2s }
environments:
  preview:
    ephemeral: true
    ttl: 1h
  staging:
    instances: 1
    strategy: { blueGreen: { scaleDownDelay: 0s } }
`;

interface Status {
  name: string;
  kind: string;
  url: string | null;
  artifact: string | null;
  commit: string | null;
  health: {
    healthy: number;
    desired: number;
    instances: { id: string; state: string; restarts: number; pid: number | null }[];
  } | null;
  drift: string[];
  expiresAt: string | null;
}

let example: ExampleRepo;
let repo: string;
let env: Record<string, string>;
let server: CliProcess | undefined;
let routerUrl: string;
let routerPort: string;
let mainArtifact: string;
let featureArtifact: string;
let featureCommit: string;

function git(...args: string[]): string {
  return gitIn(repo, ...args);
}

const cli = (...args: string[]) => runCli(args, { cwd: repo, env });

function via(host: string, route = '/version'): Promise<{ status: number; body: string }> {
  return getVia(routerUrl, host, route);
}

async function build(): Promise<string> {
  const res = await cli('run', '--json');
  expect(res.code, res.stderr).toBe(0);
  const digest = (JSON.parse(res.stdout) as { artifact: { digest: string } | null }).artifact?.digest;
  expect(digest).toMatch(/^sha256:/);
  return digest ?? '';
}

async function list(): Promise<{ environments: Status[]; runtime: boolean }> {
  const res = await cli('env', 'list', '--json');
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout);
}

async function find(name: string): Promise<Status | undefined> {
  return (await list()).environments.find((e) => e.name === name);
}

/** The running instances of an environment with their process groups, from the runtime's own table. */
function instanceRows(
  environment: string,
  states = ['healthy'],
): { id: string; pid: number | null; pgid: number | null }[] {
  return readDb(
    env,
    (db) =>
      db
        .prepare(
          `SELECT id, pid, pgid FROM instances WHERE environment = ? AND state IN (${states.map(() => '?').join(', ')}) ORDER BY id`,
        )
        .all(environment, ...states) as { id: string; pid: number | null; pgid: number | null }[],
  );
}

beforeAll(async () => {
  example = await exampleRepo('flowline-env-', {
    'flowline.yaml': CONFIG,
    'no-preview.yaml': CONFIG.replace(/ {2}preview:\n.*\n.*\n/, ''),
    '.gitignore': 'dist/\n',
  });
  ({ repo, env } = example);
  await build();
  git('checkout', '-qb', 'feature/Login-Page');
  await writeFile(path.join(repo, 'src', 'extra.js'), 'export const extra = 2;\n');
  git('add', '-A');
  git('commit', '-qm', 'login page');
  featureCommit = git('rev-parse', 'HEAD');
  featureArtifact = await build();
  git('checkout', '-q', 'main');
  // main moves on after the branch: the preview must still pick the branch's artifact.
  await writeFile(path.join(repo, 'src', 'extra.js'), 'export const extra = 3;\n');
  git('add', '-A');
  git('commit', '-qm', 'main moves on');
  mainArtifact = await build();
  ({ server, routerUrl } = await serveExample(example, ['--reap-interval', '200ms']));
  routerPort = new URL(routerUrl).port;
}, 120_000);

afterAll(async () => {
  if (server !== undefined) expect(await server.stop()).toBe(0);
  // No instance may outlive the server that stopped them.
  expect(recordedPids(env).filter(running)).toEqual([]);
  await example.dispose();
});

describe('preview environments', () => {
  it('creates a preview of a pull request from its branch’s artifact, reachable at its own host', async () => {
    expect(featureArtifact).not.toBe(mainArtifact);
    const res = await cli('env', 'create', '--pr', '12', '--branch', 'feature/Login-Page', '--json');
    expect(res.code, res.stderr).toBe(0);
    const created = JSON.parse(res.stdout);
    expect(created).toMatchObject({
      created: true,
      host: 'pr-12.hello.localhost',
      url: `http://pr-12.hello.localhost:${routerPort}/`,
      environment: { name: 'pr-12', kind: 'ephemeral', branch: 'feature/Login-Page', pullRequest: 12 },
      deployment: {
        environment: 'pr-12',
        artifactId: featureArtifact,
        strategy: 'allAtOnce',
        status: 'succeeded',
      },
    });
    const answer = await via('pr-12.hello.localhost');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).artifact).toBe(featureArtifact);
  });

  it('refreshes the time to live and redeploys when the same preview is created again', async () => {
    const before = await find('pr-12');
    const res = await cli('env', 'create', '--pr', '12', '--ttl', '5h', '--json');
    expect(res.code, res.stderr).toBe(0);
    const again = JSON.parse(res.stdout);
    expect(again.created).toBe(false);
    expect(again.deployment.artifactId).toBe(featureArtifact); // the branch recorded at creation
    expect(Date.parse(again.environment.expiresAt)).toBeGreaterThan(Date.parse(before?.expiresAt ?? ''));
    const events = JSON.parse((await cli('audit', '--action', 'env.create', '--json')).stdout).events;
    expect(events.map((e: { details: { refreshed: boolean } }) => e.details.refreshed)).toEqual([
      true,
      false,
    ]);
  });

  it('lists the preview with its URL, artifact, commit and health, and no drift', async () => {
    const preview = await until(
      '2 healthy instances',
      () => find('pr-12'),
      (e) => e?.health?.healthy === 2,
    );
    expect(preview).toMatchObject({
      kind: 'ephemeral',
      url: `http://pr-12.hello.localhost:${routerPort}/`,
      artifact: featureArtifact,
      commit: featureCommit,
      health: { healthy: 2, desired: 2 },
      drift: [],
    });
    const table = await cli('env', 'list');
    expect(table.code, table.stderr).toBe(0);
    const row = table.stdout.split('\n').find((l) => l.startsWith('hello') && l.includes('pr-12')) ?? '';
    expect(row).toContain(`http://pr-12.hello.localhost:${routerPort}/`);
    expect(row).toContain(featureArtifact.slice(7, 19));
    expect(row).toContain(featureCommit.slice(0, 7));
    expect(row).toContain('2/2 healthy');
    expect(row).toMatch(/in [45]h/);
  });

  it('lets a read token list, and needs deploy in scope to create or delete, admin to force', async () => {
    const token = async (...args: string[]) => {
      const res = await cli('token', 'create', ...args, '--json');
      expect(res.code, res.stderr).toBe(0);
      return JSON.parse(res.stdout).secret as string;
    };
    const daemon = JSON.parse(readFileSync(path.join(env.FLOWLINE_HOME ?? '', 'daemon.json'), 'utf8'));
    const as = (secret: string, ...args: string[]) =>
      runCli(args, { cwd: repo, env: { ...env, FLOWLINE_URL: daemon.apiUrl, FLOWLINE_TOKEN: secret } });
    const reader = await token('reader', '--role', 'read');
    const listed = await as(reader, 'env', 'list', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ runtime: true, environments: [{ name: 'pr-12' }] });
    expect((await as(reader, 'env', 'create', '--pr', '12')).stderr).toContain('FLOWLINE_FORBIDDEN');
    const other = await token('pr-99-bot', '--role', 'deploy', '--env', 'pr-99');
    const outOfScope = await as(other, 'env', 'delete', 'pr-12');
    expect(outOfScope.code).toBe(5);
    expect(outOfScope.stderr).toContain('not on environment pr-12');
    const deployer = await token('pr-12-bot', '--role', 'deploy', '--env', 'pr-12');
    const forced = await as(deployer, 'env', 'delete', 'pr-12', '--force');
    expect(forced.code).toBe(5);
    expect(forced.stderr).toContain('needs the admin role');
    expect(await find('pr-12')).toBeDefined();
  });

  it('shows drift while an instance does not answer, and none once it does again', async () => {
    const [frozen] = instanceRows('pr-12');
    expect(frozen?.pgid).toBeGreaterThan(0);
    signalGroup(frozen?.pgid, 'SIGSTOP');
    try {
      const drifted = await until(
        'drift',
        () => find('pr-12'),
        (e) => (e?.drift.length ?? 0) > 0,
      );
      expect(drifted?.drift).toEqual(['1/2 healthy']);
      const table = await cli('env', 'list', '--service', 'hello');
      expect(table.stdout).toMatch(/pr-12 .*1\/2 healthy.*1\/2 healthy/);
    } finally {
      signalGroup(frozen?.pgid, 'SIGCONT');
    }
    await until(
      'no drift',
      () => find('pr-12'),
      (e) => e?.drift.length === 0,
    );
  });

  it('shows the supervisor restarting an instance killed with SIGKILL', async () => {
    const [victim] = instanceRows('pr-12');
    signalGroup(victim?.pgid, 'SIGKILL');
    const healed = await until(
      'a restart',
      () => find('pr-12'),
      (e) =>
        e?.health?.healthy === 2 && e.health.instances.some((i) => i.id === victim?.id && i.restarts > 0),
    );
    expect(healed?.drift).toEqual([]);
    expect(JSON.parse((await via('pr-12.hello.localhost')).body).artifact).toBe(featureArtifact);
  });

  it('deletes a preview once its time to live has passed', async () => {
    const res = await cli('env', 'create', '--branch', 'feature/Login-Page', '--ttl', '2s', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).environment.name).toBe('br-feature-login-page');
    await until(
      'expiry',
      () => find('br-feature-login-page'),
      (e) => e === undefined,
    );
    expect((await via('br-feature-login-page.hello.localhost')).status).toBe(404);
    const instances = instanceRows('br-feature-login-page', ['healthy', 'stopping', 'stopped']);
    expect(instances).toHaveLength(2);
    const pids = instances.map((i) => i.pid ?? 0);
    await until(
      'instances stopped',
      async () => pids.filter(running),
      (alive) => alive.length === 0,
    );
    const events = JSON.parse((await cli('audit', '--action', 'env.expire', '--json')).stdout).events;
    expect(events[0]).toMatchObject({
      actor: { kind: 'user', name: 'flowline' },
      target: 'env:hello/br-feature-login-page',
    });
  });

  it('tears a preview down on delete: route gone, instances stopped, audited', async () => {
    const pids = instanceRows('pr-12').map((i) => i.pid ?? 0);
    const res = await cli('env', 'delete', 'pr-12');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('deleted pr-12');
    expect(await find('pr-12')).toBeUndefined();
    expect((await via('pr-12.hello.localhost')).status).toBe(404);
    expect(pids.filter(running)).toEqual([]);
    const events = JSON.parse((await cli('audit', '--action', 'env.delete', '--json')).stdout).events;
    expect(events[0]).toMatchObject({ target: 'env:hello/pr-12', details: { kind: 'ephemeral' } });
    expect((await cli('env', 'delete', 'pr-12')).code).toBe(3);
  });

  it('finds the environment events by the globs docs/cli.md shows', async () => {
    const actions = async (...args: string[]) => {
      const res = await cli('audit', ...args, '--json');
      expect(res.code, res.stderr).toBe(0);
      return JSON.parse(res.stdout).events as { action: string; target: string }[];
    };
    const lifecycle = await actions('--action', 'env.*');
    expect(new Set(lifecycle.map((e) => e.action))).toEqual(
      new Set(['env.create', 'env.expire', 'env.delete']),
    );
    const failures = await actions('--action', '*.fail', '-n', '10');
    expect(failures.every((e) => e.action.endsWith('.fail'))).toBe(true);
    const targets = await actions('--target', 'env:hello/*', '--since', '24h');
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.every((e) => e.target.startsWith('env:hello/'))).toBe(true);
    // Without `*` it is a prefix, as before.
    expect((await actions('--action', 'env.')).map((e) => e.action)).toEqual(lifecycle.map((e) => e.action));
  });

  it('refuses to delete a persistent environment without --force', async () => {
    const deployed = await cli('deploy', 'staging', '--artifact', mainArtifact);
    expect(deployed.code, deployed.stderr).toBe(0);
    // Every URL printed is one a browser reaches: through the router, with its port.
    const url = `http://staging.hello.localhost:${routerPort}/`;
    expect(deployed.stderr).toMatch(new RegExp(`traffic switched to \\S+ on ${url.replaceAll('.', '\\.')}`));
    expect(deployed.stdout).toContain(url);
    expect((await cli('release', 'status', 'staging')).stdout).toContain(url);
    const refused = await cli('env', 'delete', 'staging');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('FLOWLINE_ENV_PERSISTENT');
    expect((await via('staging.hello.localhost')).status).toBe(200);
    const forced = await cli('env', 'delete', 'staging', '--force', '--json');
    expect(forced.code, forced.stderr).toBe(0);
    expect((await via('staging.hello.localhost')).status).toBe(404);
  });

  it("needs a preview template in the server's policy, which an admin changes with config apply", async () => {
    const plan = await cli('config', 'plan', '--config', 'no-preview.yaml', '--json');
    expect(JSON.parse(plan.stdout).changes).toContainEqual(
      expect.objectContaining({ path: 'environments.preview' }),
    );
    expect((await cli('config', 'apply', '--config', 'no-preview.yaml')).code).toBe(0);
    const res = await cli('env', 'create', '--pr', '7');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('FLOWLINE_ENV_NO_TEMPLATE');
    expect((await cli('config', 'apply')).code).toBe(0);
    expect((await cli('config', 'plan', '--json')).stdout).toContain('"changes": []');
  });
});

describe('env list without a running server', () => {
  it('falls back to the records and says health is unknown', async () => {
    expect((await cli('env', 'create', '--pr', '3', '--json')).code).toBe(0);
    expect(await server?.stop()).toBe(0);
    server = undefined;
    const report = await list();
    expect(report.runtime).toBe(false);
    expect(report.environments.find((e) => e.name === 'pr-3')).toMatchObject({
      url: null,
      artifact: mainArtifact,
      health: null,
    });
    const table = await cli('env', 'list');
    expect(table.stdout).toContain('(flowline serve not running');
  });
});
