import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlowline } from '../../src/app/flowline.js';
import { loadSettings } from '../../src/core/settings.js';
import { CLI, type CliProcess, cleanEnv, readDb, runCli, startCli, tempDir } from './helpers.js';

// `flowline secret set|list|rm` with the built CLI, embedded and against `flowline serve`: values
// go in through stdin only, and come out in no output, answer, log or record.

const CONFIG = `version: 1
service: shop
build:
  command: mkdir -p out && echo hi > out/a
  inputs: ["flowline.yaml"]
  output: out
`;

/** What a value looks like nowhere: every output below is searched for it. */
const VALUE = 'pg://shop:Tr0ub4dor-and-3-never-shown@db/shop';

let dir: Awaited<ReturnType<typeof tempDir>>;
let project: string;
let env: Record<string, string>;
const outputs: string[] = [];

/** Runs the CLI in the project and remembers what it printed. */
const cli = async (
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
) => {
  const res = await runCli(args, { cwd: project, env: { ...env, ...options.env }, ...options });
  outputs.push(res.stdout, res.stderr);
  return res;
};

/** The values as the deploy path will read them, from the same home. */
const resolve = async (names: string[], home = env.FLOWLINE_HOME ?? '') => {
  const flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: home }, project));
  try {
    return await flowline.secrets.resolve('shop', 'production', names);
  } finally {
    await flowline.close();
  }
};

/** A project whose service is registered by a first `flowline run`, with a home of its own. */
const registered = async (home: string) => {
  const res = await runCli(['run'], { cwd: project, env: { FLOWLINE_HOME: home } });
  expect(res.code).toBe(0);
};

beforeAll(async () => {
  dir = await tempDir('flowline-secrets-e2e-');
  project = path.join(dir.path, 'shop');
  env = { FLOWLINE_HOME: path.join(dir.path, 'state') };
  await mkdir(project);
  await writeFile(path.join(project, 'flowline.yaml'), CONFIG);
  await registered(env.FLOWLINE_HOME ?? '');
});

afterAll(async () => {
  await dir.dispose();
});

describe('flowline secret, embedded', () => {
  it('sets a value piped on stdin (without echo’s newline), lists names only, removes it', async () => {
    const set = await cli(['secret', 'set', 'DATABASE_URL', '--env', 'production'], { input: `${VALUE}\n` });
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('secret DATABASE_URL set for shop/production (version 1)');
    expect(
      (await cli(['secret', 'set', 'DATABASE_URL', '--env', 'production'], { input: VALUE })).stdout,
    ).toContain('version 2');
    expect(await resolve(['DATABASE_URL'])).toEqual({ DATABASE_URL: VALUE });
    expect((await stat(path.join(env.FLOWLINE_HOME ?? '', 'secret.key'))).mode & 0o777).toBe(0o600);

    const table = await cli(['secret', 'list', '--env', 'production']);
    expect(table.stdout).toMatch(/NAME\s+VERSION\s+UPDATED\s+BY\n.*DATABASE_URL\s+2/);
    const json = JSON.parse((await cli(['secret', 'list', '--env', 'production', '--json'])).stdout);
    expect(json.secrets).toEqual([
      expect.objectContaining({ service: 'shop', name: 'DATABASE_URL', version: 2 }),
    ]);

    const rm = await cli(['secret', 'rm', 'DATABASE_URL', '--service', 'shop', '--env', 'production']);
    expect([rm.code, rm.stdout]).toEqual([0, 'Removed secret DATABASE_URL from shop/production.\n']);
    expect((await cli(['secret', 'list', '--env', 'production'])).stdout).toBe(
      'No secrets set for shop/production.\n',
    );
    expect((await cli(['secret', 'rm', 'DATABASE_URL', '--env', 'production'])).code).toBe(3);
  });

  it('never takes a value from the arguments, and refuses an empty stdin', async () => {
    const argv = await cli(['secret', 'set', 'API_KEY', VALUE, '--env', 'production']);
    expect(argv.code).toBe(2);
    const empty = await cli(['secret', 'set', 'API_KEY', '--env', 'production']);
    expect([empty.code, empty.stderr]).toEqual([2, expect.stringContaining('read from stdin')]);
    const json = await cli(['secret', 'set', 'API_KEY', '--env', 'production', '--json'], { input: '\n' });
    expect(JSON.parse(json.stdout).error.code).toBe('FLOWLINE_USAGE');
  });

  it('reads a value typed at a hidden prompt in a terminal, without echoing it', async () => {
    const script = spawnSync('script', ['--version']);
    expect(script.status, 'util-linux `script` provides the terminal for this test').toBe(0);
    const child = spawn(
      'script',
      ['-qec', `"${process.execPath}" "${CLI}" secret set TYPED --env production`, '/dev/null'],
      { cwd: project, env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let seen = '';
    const exit = new Promise<number | null>((done) => child.on('exit', done));
    await new Promise<void>((prompted) => {
      const onData = (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('(input hidden): ')) prompted();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    child.stdin.write(`${VALUE}\r`);
    expect(await exit).toBe(0);
    outputs.push(seen);
    expect(seen).toContain('secret TYPED set for shop/production');
    expect(await resolve(['TYPED'])).toEqual({ TYPED: VALUE });
    expect((await cli(['secret', 'rm', 'TYPED', '--env', 'production'])).code).toBe(0);
  });

  it('agrees on one key when two processes create it at once', async () => {
    const home = path.join(dir.path, 'race');
    await registered(home);
    const both = await Promise.all(
      ['FIRST', 'SECOND'].map((name) =>
        cli(['secret', 'set', name, '--env', 'production'], {
          input: `${VALUE}-${name}`,
          env: { FLOWLINE_HOME: home },
        }),
      ),
    );
    expect(both.map((r) => r.code)).toEqual([0, 0]);
    expect(await resolve(['FIRST', 'SECOND'], home)).toEqual({
      FIRST: `${VALUE}-FIRST`,
      SECOND: `${VALUE}-SECOND`,
    });
  });
});

describe('flowline secret, against a server', () => {
  let server: CliProcess;
  let apiUrl: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    server = await startCli(['serve', '--port', '0', '--router-port', '0'], /router on http/, {
      cwd: project,
      env,
    });
    apiUrl = JSON.parse(await readFile(path.join(env.FLOWLINE_HOME ?? '', 'daemon.json'), 'utf8')).apiUrl;
    for (const [name, role, scope] of [
      ['ops', 'admin', []],
      ['ship', 'deploy', ['production']],
      ['look', 'read', ['production']],
    ] as const) {
      const res = await cli([
        'token',
        'create',
        name,
        '--role',
        role,
        ...(scope.length ? ['--env', ...scope] : []),
        '--json',
      ]);
      tokens[name] = JSON.parse(res.stdout).secret;
    }
  });

  afterAll(async () => {
    await server.stop();
  });

  const remote = (token: string, args: readonly string[], input?: string) =>
    cli(args, {
      env: { FLOWLINE_URL: apiUrl, FLOWLINE_TOKEN: token },
      ...(input === undefined ? {} : { input }),
    });

  it('sets with an admin token, lists with a read token, refuses a deploy token', async () => {
    const set = await remote(tokens.ops ?? '', ['secret', 'set', 'STRIPE_KEY', '--env', 'production'], VALUE);
    expect([set.code, set.stdout]).toEqual([0, expect.stringContaining('(version 1)')]);
    const listed = await remote(tokens.look ?? '', ['secret', 'list', '--env', 'production', '--json']);
    expect(JSON.parse(listed.stdout).secrets.map((s: { name: string }) => s.name)).toEqual(['STRIPE_KEY']);
    const denied = await remote(
      tokens.ship ?? '',
      ['secret', 'set', 'STRIPE_KEY', '--env', 'production'],
      'x',
    );
    expect([denied.code, denied.stderr]).toEqual([5, expect.stringContaining('FLOWLINE_FORBIDDEN')]);
    expect(
      (await remote(tokens.ship ?? '', ['secret', 'rm', 'STRIPE_KEY', '--env', 'production'])).code,
    ).toBe(5);
    expect(await resolve(['STRIPE_KEY'])).toEqual({ STRIPE_KEY: VALUE });
  });

  it('keeps the value out of every error, output, audit event and the server log', async () => {
    const ops = tokens.ops ?? '';
    const errors = [
      await remote(ops, ['secret', 'set', 'stripe_key', '--env', 'production'], VALUE),
      await remote(ops, ['secret', 'set', 'STRIPE_KEY', '--env', 'production', '--service', 'nope'], VALUE),
      await remote(ops, ['secret', 'set', 'STRIPE_KEY', '--env', 'production'], `${VALUE}\0`),
      await remote(ops, ['secret', 'set', 'STRIPE_KEY', '--env', 'production'], VALUE.repeat(1500)),
      await remote(tokens.look ?? '', ['secret', 'set', 'STRIPE_KEY', '--env', 'production'], VALUE),
      await remote('flt_not-a-token', ['secret', 'set', 'STRIPE_KEY', '--env', 'production'], VALUE),
    ];
    expect(errors.map((r) => r.code)).toEqual([2, 3, 2, 2, 5, 5]);
    const removed = await remote(ops, ['secret', 'rm', 'STRIPE_KEY', '--env', 'production', '--json']);
    expect(JSON.parse(removed.stdout).secret).toMatchObject({ name: 'STRIPE_KEY', version: 1 });

    const audit = readDb(env, (db) => db.prepare('SELECT * FROM audit_events').all());
    expect(JSON.stringify(audit)).toContain('secret.set');
    await server.stop();
    for (const text of [...outputs, server.output(), JSON.stringify(audit)])
      expect(text).not.toContain(VALUE);
    for (const file of ['flowline.db', 'flowline.db-wal']) {
      const bytes = await readFile(path.join(env.FLOWLINE_HOME ?? '', file)).catch(() => Buffer.alloc(0));
      expect([file, bytes.includes(VALUE)]).toEqual([file, false]);
    }
  });
});
