import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import {
  type CliProcess,
  type CliResult,
  type ExampleRepo,
  exampleRepo,
  runCli,
  serveExample,
  until,
} from '../e2e/helpers.js';

/**
 * Issue 9's attacks, as the least-privileged users would send them, against a real `flowline
 * serve` with real tokens, CLI processes and instances (docs/adr/0010-trust-model.md). What runs
 * is fixed by the artifact, what is allowed by the server, secrets stay in its store, and
 * instances cannot reach Flowline's own state.
 */

const isRoot = process.getuid?.() === 0;

function config(options: { run?: string; secrets?: string[]; gates?: boolean } = {}): string {
  const gates = options.gates ?? true;
  return `version: 1
service: hello
build:
  command: node scripts/build.js
  inputs: ["src/**", "scripts/build.js", "package.json"]
  output: dist
pipeline: { trunk: main }
${options.secrets === undefined ? '' : `secrets: [${options.secrets.join(', ')}]\n`}run:
  command: ${JSON.stringify(options.run ?? 'node server.js')}
  port: { env: PORT }
  instances: 1
  health: { path: /healthz, interval: 200ms, timeout: 1s, startPeriod: 10s }
  shutdown: { gracePeriod: 1s }
environments:
  staging:
    strategy: { blueGreen: { scaleDownDelay: 0s } }
  production:${gates ? '\n    protected: true\n    after: staging' : ' {}'}
`;
}

let example: ExampleRepo;
let repo: string;
let home: string;
let server: CliProcess;
let apiUrl = '';
let admin = '';
const token = { ci: '', deployStaging: '', deploy: '', read: '' };

/** The CLI as a user of the server with `secret`. */
function as(secret: string, args: string[], input?: string): Promise<CliResult> {
  return runCli(args, {
    cwd: repo,
    env: { FLOWLINE_URL: apiUrl, FLOWLINE_TOKEN: secret },
    ...(input === undefined ? {} : { input }),
  });
}

async function call(secret: string, method: string, route: string, body?: unknown) {
  const res = await fetch(apiUrl + route, {
    method,
    headers: {
      authorization: `Bearer ${secret}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as { error?: { code: string } } };
}

/** Builds with the ci token, as a CI job would, from `flowline.yaml` as it is now; the digest. */
async function build(yaml: string): Promise<string> {
  await writeFile(path.join(repo, 'flowline.yaml'), yaml);
  const res = await as(token.ci, ['run', '--json']);
  expect(res.code, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as { artifact: { digest: string } }).artifact.digest;
}

async function tokenFor(name: string, ...args: string[]): Promise<string> {
  const res = await as(admin, ['token', 'create', name, ...args, '--json']);
  expect(res.code, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as { secret: string }).secret;
}

/** The files an instance of `environment` wrote in its own folder under the work root. */
async function instanceFile(environment: string, name: string): Promise<string> {
  const root = `${home}-work`;
  const dir = (await readdir(root)).find(
    (d) => d.startsWith(`hello-${environment}-`) && !d.endsWith('.partial'),
  );
  if (dir === undefined) throw new Error(`no instance folder of ${environment} under ${root}`);
  return readFile(path.join(root, dir, name), 'utf8');
}

beforeAll(async () => {
  example = await exampleRepo('flowline-trust-', { 'flowline.yaml': config() });
  repo = example.repo;
  home = example.env.FLOWLINE_HOME ?? '';
  // The server's own environment holds a secret no deploy may read.
  example.env.SERVER_ONLY_SECRET = 'server-env-value-77';
  const served = await serveExample(example);
  ({ server, apiUrl } = served);
  admin = served.secret;
  token.ci = await tokenFor('builder', '--role', 'ci');
  token.deployStaging = await tokenFor('stager', '--role', 'deploy', '--env', 'staging');
  token.deploy = await tokenFor('deployer', '--role', 'deploy');
  token.read = await tokenFor('viewer', '--role', 'read');
  await build(config()); // the first run of the service seeds its policy
}, 180_000);

afterAll(async () => {
  if (server !== undefined) expect(await server.stop()).toBe(0);
  await example?.dispose();
});

describe('a deploy token deploys and can do nothing more', () => {
  it('cannot send a config with a deploy: the request names an artifact and an environment only', async () => {
    const res = await call(token.deployStaging, 'POST', '/v1/deploy', {
      service: 'hello',
      environment: 'staging',
      config: config({ run: 'cat daemon.json' }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('FLOWLINE_REQUEST_INVALID');
  });

  it('cannot upload an artifact or record a run (that is the ci role)', async () => {
    const upload = await fetch(
      `${apiUrl}/v1/artifacts/sha256:${'0'.repeat(64)}?service=hello&cacheKey=sha256:${'0'.repeat(64)}`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${token.deploy}`, 'content-type': 'application/x-tar' },
        body: '',
      },
    );
    expect(upload.status).toBe(403);
    const run = await as(token.deploy, ['run']);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain('needs the ci role');
  });

  it.skipIf(!isRoot)(
    "deploys an artifact whose command reaches for Flowline's files, which its instance cannot read",
    async () => {
      const probe = [
        'id -u > uid.txt',
        `cat ${home}/daemon.json > stolen.txt 2>&1`,
        'cat ../../../../daemon.json ../../state/daemon.json >> stolen.txt 2>&1',
        'env > env.txt',
        'exec node server.js',
      ].join('; ');
      const digest = await build(config({ run: probe }));
      const res = await as(token.deployStaging, ['deploy', 'staging', '--artifact', digest]);
      expect(res.code, res.stderr).toBe(0);
      const daemon = JSON.parse(await readFile(path.join(home, 'daemon.json'), 'utf8')) as { secret: string };
      expect(await instanceFile('staging', 'uid.txt')).toBe('65534\n'); // nobody
      const stolen = await instanceFile('staging', 'stolen.txt');
      expect(stolen).toMatch(/Permission denied|No such file/);
      expect(stolen).not.toContain(daemon.secret);
      const envText = await instanceFile('staging', 'env.txt');
      for (const leak of [
        'FLOWLINE_TOKEN',
        'FLOWLINE_HOME',
        'SERVER_ONLY_SECRET',
        'server-env-value-77',
        daemon.secret,
      ]) {
        expect(envText).not.toContain(leak);
      }
      expect(envText).toMatch(/^HOME=.*-work\/hello-staging-/m);
      // Its scratch is its own, its data its environment's: both in the work folder, out of the home.
      expect(envText).toMatch(/^TMPDIR=.*-work\/scratch\/hello-staging-/m);
      expect(envText).toContain(`FLOWLINE_DATA_DIR=${home}-work/data/hello/staging\n`);
    },
  );

  it("never reads a secret from the server's environment: only from its store, for that environment", async () => {
    const digest = await build(
      config({ secrets: ['SERVER_ONLY_SECRET'], run: 'env > env.txt; exec node server.js' }),
    );
    const refused = await as(token.deployStaging, ['deploy', 'staging', '--artifact', digest]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('FLOWLINE_SECRET_MISSING');
    expect(refused.stderr).not.toContain('server-env-value-77');

    const set = await as(
      admin,
      ['secret', 'set', 'SERVER_ONLY_SECRET', '--env', 'staging'],
      'from-the-store\n',
    );
    expect(set.code, set.stderr).toBe(0);
    const deployed = await as(token.deployStaging, ['deploy', 'staging', '--artifact', digest]);
    expect(deployed.code, deployed.stderr).toBe(0);
    const envText = await instanceFile('staging', 'env.txt');
    expect(envText).toContain('SERVER_ONLY_SECRET=from-the-store');
    expect(envText).not.toContain('server-env-value-77');
    // A staging deploy token cannot set secrets, nor reach another environment's.
    expect((await as(token.deployStaging, ['secret', 'set', 'X', '--env', 'staging'], 'v')).code).toBe(5);
    expect((await as(token.deployStaging, ['secret', 'list', '--env', 'production'])).code).toBe(5);
  });
});

describe('promotion gates come from the server', () => {
  it("holds production to its policy whatever the artifact's flowline.yaml says", async () => {
    const pulled = await as(token.read, ['andon', 'pull', '--service', 'hello', '--reason', 'trust test']);
    expect(pulled.code, pulled.stderr).toBe(0);
    // The file the artifact carries drops `protected` and `after`; the server's policy still has them.
    const ungated = await build(config({ gates: false }));
    const red = await as(token.deploy, ['deploy', 'production', '--artifact', ungated]);
    expect(red.code).toBe(4);
    expect(red.stderr).toContain('FLOWLINE_ANDON_RED');
    expect(red.stderr).toContain("the server's policy");

    const released = await as(admin, ['andon', 'release', '--service', 'hello', '--reason', 'done']);
    expect(released.code, released.stderr).toBe(0);
    const unproven = await as(token.deploy, ['deploy', 'production', '--artifact', ungated]);
    expect(unproven.code).toBe(4);
    expect(unproven.stderr).toContain('FLOWLINE_DEPLOY_GATE');

    const policy = await as(token.read, ['env', 'policy', '--json']);
    expect(JSON.parse(policy.stdout).policy.environments.production).toMatchObject({
      protected: true,
      after: 'staging',
    });
  });

  it('lets only an admin change the policy, audited with the diff', async () => {
    const byDeployer = await as(token.deploy, ['env', 'policy', 'set', 'production', '--no-protected']);
    expect(byDeployer.code).toBe(5);
    const byAdmin = await as(admin, ['env', 'policy', 'set', 'production', '--deploy-role', 'admin']);
    expect(byAdmin.code, byAdmin.stderr).toBe(0);
    const audit = await as(admin, ['audit', '--action', 'policy.change', '--json']);
    expect(JSON.parse(audit.stdout).events[0].details.changes).toEqual([
      { path: 'environments.production.deployRole', from: 'deploy', to: 'admin' },
    ]);
    // Now even a deploy token for every environment may not deploy production, or act on it.
    const refused = await as(token.deploy, ['deploy', 'production']);
    expect(refused.code).toBe(5);
    expect((await as(token.deploy, ['rollback', 'production'])).code).toBe(5);
  });
});

describe('the andon cannot be turned green by a deploy token', () => {
  it('refuses run records from a deploy token, and updates from any token but the run’s own', async () => {
    const run = {
      id: newId('run'),
      service: 'hello',
      branch: 'main',
      commit: null,
      where: { host: 'ci' },
      startedAt: new Date().toISOString(),
      nodes: [],
    };
    expect((await call(token.deploy, 'POST', '/v1/runs', run)).status).toBe(403);
    expect((await call(token.ci, 'POST', '/v1/runs', run)).status).toBe(201);
    const other = await tokenFor('other-builder', '--role', 'ci');
    const finish = {
      status: 'succeeded',
      finishedAt: new Date().toISOString(),
      artifact: null,
      only: null,
      trunk: 'main',
    };
    const stolen = await call(other, 'POST', `/v1/runs/${run.id}/finish`, finish);
    expect(stolen.status).toBe(403);
    expect(stolen.body.error?.code).toBe('FLOWLINE_FORBIDDEN');
  });
});

describe('secret values are stored sealed', () => {
  it('keeps no value in any file of the home, which is 0700 with its store and keys 0600', async () => {
    const value = 'sealed-value-9f8e7d6c';
    expect((await as(admin, ['secret', 'set', 'API_KEY', '--env', 'staging'], value)).code).toBe(0);
    await writeFile(
      path.join(repo, 'flag.json'),
      JSON.stringify({
        type: 'boolean',
        enabled: true,
        variants: { on: true, off: false },
        defaultVariant: 'off',
      }),
    );
    const flag = await as(admin, ['flags', 'set', 'new-greeting', '--env', 'staging', '--file', 'flag.json']);
    expect(flag.code, flag.stderr).toBe(0);
    const trigger = await as(admin, [
      'flags',
      'trigger',
      'add',
      'kill-it',
      '--env',
      'staging',
      '--on',
      'webhook',
      '--flag',
      'new-greeting',
      '--json',
    ]);
    expect(trigger.code, trigger.stderr).toBe(0);
    const hmac = (JSON.parse(trigger.stdout) as { secret: string }).secret;
    expect(hmac.length).toBeGreaterThan(16);
    await until(
      'the store to settle',
      async () => (await stat(path.join(home, 'flowline.db'))).size,
      (size) => size > 0,
    );
    const files = await listFiles(home);
    for (const file of files) {
      if (file.endsWith('secret.key')) continue;
      const bytes = await readFile(file);
      expect([file, bytes.includes(value)]).toEqual([file, false]);
      expect([file, bytes.includes(hmac)]).toEqual([file, false]);
    }
    const mode = async (p: string) => (await stat(p)).mode & 0o777;
    expect(await mode(home)).toBe(0o700);
    for (const name of ['flowline.db', 'daemon.json', 'secret.key'])
      expect([name, await mode(path.join(home, name))]).toEqual([name, 0o600]);
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}
