import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../src/app/api.js';
import { createFlowline, type Flowline } from '../../src/app/flowline.js';
import { loadSettings } from '../../src/core/settings.js';
import type { Listening } from '../../src/server/index.js';
import { runCli, tempDir } from '../e2e/helpers.js';

// A token's environment scope is a list of environment names. A name that is not one (`../x`,
// `Production`, `a/b`) is refused wherever a token is created — the CLI, the API, the service —
// with a coded error naming the field, and no token is made.

let dir: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let api: Listening;
let admin: string;

beforeAll(async () => {
  dir = await tempDir('flowline-security-');
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: dir.path }, dir.path));
  api = await startApi(flowline, { port: 0, host: '127.0.0.1' });
  admin = (await flowline.tokens.create({ name: 'root', role: 'admin' }, flowline.localActor)).secret;
});

afterAll(async () => {
  await api.close();
  await flowline.close();
  await dir.dispose();
});

const names = async () => (await flowline.tokens.list()).map((t) => t.name);

describe('a token scoped to something that is not an environment name', () => {
  it.each(['../x', '../../etc', 'Production', 'a/b', 'staging\n', ''])(
    'is refused by the API: environments [%j]',
    async (environment) => {
      const res = await fetch(`${api.url}/v1/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'ci', role: 'deploy', environments: ['staging', environment] }),
      });
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; issues: { path: string }[] } };
      expect(error.code).toBe('FLOWLINE_REQUEST_INVALID');
      expect(error.issues.map((i) => i.path)).toEqual(['body.environments.1']);
      expect(await names()).not.toContain('ci');
    },
  );

  it('is refused by the CLI with a usage error naming --env, before anything is stored', async () => {
    const res = await runCli(['token', 'create', 'ci', '--role', 'deploy', '--env', '../x'], {
      env: { FLOWLINE_HOME: dir.path },
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('FLOWLINE_USAGE');
    expect(res.stderr).toContain('--env "../x" is not an environment name');
    expect(await names()).not.toContain('ci');
  });

  it('still accepts real environment names, previews included', async () => {
    const res = await fetch(`${api.url}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci-deploy', role: 'deploy', environments: ['staging', 'pr-12'] }),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { token: { environments: string[] } }).token.environments).toEqual([
      'staging',
      'pr-12',
    ]);
  });
});
