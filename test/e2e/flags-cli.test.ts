import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream, startFlagServer } from './flags-helpers.js';
import { EXAMPLE_CONFIG, runCli, tempDir } from './helpers.js';

let server: Awaited<ReturnType<typeof startFlagServer>>;
let repo: Awaited<ReturnType<typeof tempDir>>;
let yaml: string;
let remote: Record<string, string>;

const flags = (args: string[], env = remote) => runCli(['flags', ...args], { cwd: repo.path, env });

beforeAll(async () => {
  server = await startFlagServer();
  repo = await tempDir('flowline-flags-repo-');
  yaml = await readFile(EXAMPLE_CONFIG, 'utf8');
  await writeFile(path.join(repo.path, 'flowline.yaml'), yaml);
  remote = { FLOWLINE_URL: server.api.url, FLOWLINE_TOKEN: server.tokens.deployer };
});

afterAll(async () => {
  await server.stop();
  await repo.dispose();
});

describe('flowline flags plan and apply', () => {
  it('plans the flags of flowline.yaml Terraform-style and exits 2 with --detailed-exitcode', async () => {
    const res = await flags(['plan', '--detailed-exitcode']);
    expect(res.code).toBe(2);
    expect(res.stdout).toContain('staging (server version 0)');
    expect(res.stdout).toContain('+ flag new-greeting');
    expect(res.stdout).toContain('+ segment internal');
    expect(res.stdout).toContain('Plan: 4 to create, 0 to update, 0 to delete.');
  });

  it('applies a saved plan, after which the plan is empty (exit 0)', async () => {
    expect((await flags(['plan', '--out', 'plan.json'])).code).toBe(0);
    const applied = await flags(['apply', 'plan.json', '--json']);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toEqual({
      applied: [
        { environment: 'staging', version: 1 },
        { environment: 'production', version: 1 },
      ],
    });
    const production = (
      await server.call('GET', '/v1/flags/hello/production', { token: server.tokens.reader })
    ).body;
    expect(production.definition.flags['new-greeting'].metadata).toEqual({
      temporary: true,
      owner: 'team-hello',
      killOnRollback: true,
    });
    const again = await flags(['plan', '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes');
  });

  it('shows field-level updates and keeps a kill pulled on the server', async () => {
    await writeFile(
      path.join(repo.path, 'flowline.yaml'),
      yaml.replace('variants: { on: 10, off: 90 }', 'variants: { on: 30, off: 70 }'),
    );
    const killed = await flags(['kill', 'new-greeting', '--env', 'production', '--variant', 'off']);
    expect(killed.code).toBe(0);
    const res = await flags(['plan', '--env', 'production', '--json']);
    const plan = JSON.parse(res.stdout);
    expect(plan.environments[0].changes).toEqual([
      {
        kind: 'flag',
        key: 'new-greeting',
        op: 'update',
        fields: [
          { op: '~', path: 'fallthrough.rollout.split[0].weight', before: 10, after: 30 },
          { op: '~', path: 'fallthrough.rollout.split[1].weight', before: 90, after: 70 },
        ],
      },
    ]);
    expect(plan.environments[0].keptKills).toEqual(['new-greeting']);
    const human = await flags(['plan', '--env', 'production']);
    expect(human.stdout).toContain('~ fallthrough.rollout.split[0].weight: 10 → 30');
  });

  it('refuses to apply a plan the server has moved past, and applies nothing', async () => {
    expect((await flags(['plan', '--out', 'stale.json'])).code).toBe(0);
    const before = (await server.call('GET', '/v1/flags/hello/production', { token: server.tokens.reader }))
      .body;
    await server.call('POST', '/v1/flags/hello/production/new-greeting/disable', {
      token: server.tokens.deployer,
    });
    const res = await flags(['apply', 'stale.json']);
    expect(res.code).toBe(4);
    expect(res.stderr).toContain('FLOWLINE_FLAGS_CONFLICT');
    expect(res.stderr).toContain(
      `production (planned at version ${before.version}, now ${before.version + 1})`,
    );
    const after = (await server.call('GET', '/v1/flags/hello/production', { token: server.tokens.reader }))
      .body;
    expect(after.version).toBe(before.version + 1);
    expect(after.definition.flags['new-greeting'].fallthrough.rollout.split[0].weight).toBe(10);
  });

  it('applies a fresh plan with --yes, the kill switch still pulled', async () => {
    const res = await flags(['apply', '--yes']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Apply complete');
    const production = (
      await server.call('GET', '/v1/flags/hello/production', { token: server.tokens.reader })
    ).body;
    expect(production.definition.flags['new-greeting']).toMatchObject({
      enabled: true,
      killed: true,
      killVariant: 'off',
    });
    expect(production.definition.flags['new-greeting'].fallthrough.rollout.split[0].weight).toBe(30);
    expect((await flags(['apply'])).stdout).toContain('No changes');
  });

  it('refuses to apply without confirmation when not on a terminal', async () => {
    await writeFile(path.join(repo.path, 'flowline.yaml'), yaml);
    const res = await flags(['apply']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--yes');
  });
});

describe('flowline flags commands', () => {
  it('list, get, enable, unkill and history, with --json on reads', async () => {
    const listed = JSON.parse((await flags(['list', '--json'])).stdout);
    expect(listed.environments.map((e: { environment: string }) => e.environment)).toEqual([
      'production',
      'staging',
    ]);
    expect((await flags(['unkill', 'new-greeting', '--env', 'production'])).stdout).toContain(
      'lifted the kill switch',
    );
    expect((await flags(['disable', 'new-greeting', '--env', 'staging'])).stdout).toContain(
      'disabled new-greeting',
    );
    expect((await flags(['enable', 'new-greeting', '--env', 'staging'])).code).toBe(0);
    const got = JSON.parse((await flags(['get', 'new-greeting', '--env', 'staging', '--json'])).stdout);
    expect(got).toMatchObject({ flag: 'new-greeting', definition: { enabled: true } });
    const history = JSON.parse((await flags(['history', '--env', 'staging', '--json'])).stdout).history;
    expect(history[0]).toMatchObject({ action: 'flag.enable', actor: { name: 'deployer' } });
    const missing = await flags(['get', 'ghost', '--env', 'staging']);
    expect(missing.code).toBe(3);
    expect((await flags(['enable', 'new-greeting'])).code).toBe(2); // --env is required
  });

  it('set a flag from a file, reporting write-time errors with their field path', async () => {
    const file = path.join(repo.path, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({ type: 'boolean', variants: { on: true }, defaultVariant: 'of', enabled: true }),
    );
    const bad = await flags(['set', 'beta', '--env', 'staging', '--file', 'bad.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('FLOWLINE_FLAGS_INVALID');
    expect(bad.stderr).toContain('flags.beta.defaultVariant');
    await writeFile(
      file,
      JSON.stringify({
        type: 'boolean',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        enabled: true,
      }),
    );
    expect((await flags(['set', 'beta', '--env', 'staging', '--file', 'bad.json'])).stdout).toContain(
      'created beta',
    );
  });

  it('add, list and remove triggers; the webhook secret is printed once', async () => {
    const added = await flags([
      'trigger',
      'add',
      'page',
      '--env',
      'staging',
      '--flag',
      'beta',
      '--on',
      'webhook',
      '--json',
    ]);
    const { secret } = JSON.parse(added.stdout);
    expect(secret).toMatch(/^whsec_/);
    const listed = await flags(['trigger', 'list', '--env', 'staging']);
    expect(listed.stdout).toContain('on signed webhook kill beta');
    expect(listed.stdout).not.toContain(secret);
    expect((await flags(['trigger', 'remove', 'page', '--env', 'staging'])).code).toBe(0);
  });

  it('import flagd JSON and export it back', async () => {
    const flagd = {
      flags: {
        'dark-mode': {
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          targeting: { if: [{ starts_with: [{ var: 'email' }, 'admin'] }, 'on', 'off'] },
        },
      },
    };
    await writeFile(path.join(repo.path, 'flagd.json'), JSON.stringify(flagd));
    const imported = await flags(['import', '--from', 'flagd', 'flagd.json', '--env', 'staging']);
    expect(imported.stdout).toContain('imported 1 flag from flagd');
    const exported = JSON.parse((await flags(['export', '--to', 'flagd', '--env', 'staging'])).stdout);
    expect(Object.keys(exported.flags)).toEqual(
      expect.arrayContaining(['new-greeting', 'beta', 'dark-mode']),
    );
  });

  it('reports no stale flags while flags are young', async () => {
    const res = JSON.parse((await flags(['stale', '--json'])).stdout);
    expect(res).toEqual({ service: 'hello', days: 30, stale: [] });
  });
});

describe('the embedded CLI on the server store', () => {
  it('reaches the server stream within a second (the server watches the store)', async () => {
    const stream = await openStream(`${server.api.url}/v1/flags/hello/staging/stream`, server.tokens.reader);
    const first = await stream.next();
    const res = await flags(['disable', 'beta', '--env', 'staging'], { FLOWLINE_HOME: server.dir.path });
    expect(res.code).toBe(0);
    const next = await stream.next(1500);
    expect(Number(next.id)).toBe(Number(first.id) + 1);
    expect(JSON.parse(next.data).definition.flags.beta.enabled).toBe(false);
    stream.close();
  });
});
