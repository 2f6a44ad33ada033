import { cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliProcess,
  getVia,
  gitIn,
  recordedPids,
  runCli,
  running,
  serveExample,
  tempDir,
} from './helpers.js';

/**
 * A stateful app for real (fixtures/stateful-app): it rewrites db.json in its own folder and keeps
 * a counter in FLOWLINE_DATA_DIR. Deployed from one artifact to staging and production, served,
 * redeployed and deleted through the built CLI and `flowline serve`: the artifacts stay as built,
 * each environment keeps its own data across deploys, and a preview's data goes with it.
 */

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'stateful-app');
const isRoot = process.getuid?.() === 0;

let dir: Awaited<ReturnType<typeof tempDir>>;
let repo: string;
let env: Record<string, string>;
let server: CliProcess | undefined;
let routerUrl: string;
let first: string;
let second: string;

const cli = (...args: string[]) => runCli(args, { cwd: repo, env });

/** What the app answers at `route` in `environment`: its version and both counters. */
async function app(environment: string, route: '/hit' | '/count') {
  const res = await getVia(routerUrl, `${environment}.stateful.localhost`, route);
  expect(res.status, res.body).toBe(200);
  return JSON.parse(res.body) as { version: number; environment: string; local: number; data: number };
}

async function hits(environment: string, n: number) {
  let last: Awaited<ReturnType<typeof app>> | undefined;
  for (let i = 0; i < n; i++) last = await app(environment, '/hit');
  return last;
}

async function build(): Promise<string> {
  const res = await cli('run', '--json');
  expect(res.code, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as { artifact: { digest: string } }).artifact.digest;
}

async function deploy(environment: string, artifact: string) {
  const res = await cli('deploy', environment, '--artifact', artifact);
  expect(res.code, res.stderr).toBe(0);
}

async function verify(artifact: string) {
  const res = await cli('artifacts', 'verify', artifact);
  expect([artifact, res.code, res.stderr]).toEqual([artifact, 0, '']);
}

/** The work root: beside FLOWLINE_HOME (the temp folder is searchable by the instances' user). */
const workRoot = () => `${env.FLOWLINE_HOME}-work`;
const dataOf = (environment: string) => path.join(workRoot(), 'data', 'stateful', environment);
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  dir = await tempDir('flowline-stateful-');
  repo = path.join(dir.path, 'stateful');
  await cp(FIXTURE, repo, { recursive: true });
  await writeFile(path.join(repo, '.gitignore'), 'dist/\n');
  gitIn(repo, 'init', '-q', '-b', 'main');
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-qm', 'first');
  env = { FLOWLINE_HOME: path.join(dir.path, 'state') };
  first = await build();
  ({ server, routerUrl } = await serveExample({ repo, env, dispose: dir.dispose }));
}, 120_000);

afterAll(async () => {
  if (server !== undefined) expect(await server.stop()).toBe(0);
  expect(recordedPids(env).filter(running)).toEqual([]);
  await dir.dispose();
});

describe('a stateful app', () => {
  it('runs from one artifact in two environments that keep separate data, and leaves the artifact as built', async () => {
    await deploy('staging', first);
    await deploy('production', first);
    expect(await hits('staging', 5)).toMatchObject({ environment: 'staging', local: 5, data: 5 });
    expect(await hits('production', 3)).toMatchObject({ environment: 'production', local: 3, data: 3 });
    expect(await app('staging', '/count')).toMatchObject({ local: 5, data: 5 });
    // Each environment's data in its own folder; the app rewrote db.json in its own copy only.
    expect(JSON.parse(await readFile(path.join(dataOf('staging'), 'db.json'), 'utf8'))).toEqual({
      requests: 5,
    });
    expect(JSON.parse(await readFile(path.join(dataOf('production'), 'db.json'), 'utf8'))).toEqual({
      requests: 3,
    });
    await verify(first);
    if (isRoot) {
      for (const environment of ['staging', 'production']) {
        const info = await stat(dataOf(environment));
        expect([environment, info.uid, info.mode & 0o777]).toEqual([environment, 65534, 0o700]);
      }
    }
  });

  it('keeps the data folder across a redeploy, while the new revision starts from a fresh copy', async () => {
    await writeFile(
      path.join(repo, 'app', 'server.mjs'),
      (await readFile(path.join(repo, 'app', 'server.mjs'), 'utf8')).replace('VERSION = 1', 'VERSION = 2'),
    );
    gitIn(repo, 'commit', '-qam', 'version 2');
    second = await build();
    expect(second).not.toBe(first);
    await deploy('staging', second);
    // db.json in the working folder is the artifact's again (0); FLOWLINE_DATA_DIR kept its 5.
    expect(await app('staging', '/count')).toMatchObject({ version: 2, local: 0, data: 5 });
    expect(await hits('staging', 1)).toMatchObject({ version: 2, local: 1, data: 6 });
    expect(await app('production', '/count')).toMatchObject({ version: 1, local: 3, data: 3 });
    await verify(first);
    await verify(second);
    // The stopped revision's copy and scratch folder went with it: one instance per environment.
    const scratch = await readdir(path.join(workRoot(), 'scratch'));
    expect(scratch.map((id) => id.replace(/-.*/, '')).sort()).toEqual(['stateful', 'stateful']);
    expect(scratch.filter((id) => id.startsWith('stateful-staging-'))).toHaveLength(1);
  });

  it("deletes a preview's data folder with the preview", async () => {
    const created = await cli('env', 'create', '--pr', '4', '--artifact', second, '--json');
    expect(created.code, created.stderr).toBe(0);
    expect(await hits('pr-4', 2)).toMatchObject({ environment: 'pr-4', data: 2 });
    expect(await exists(dataOf('pr-4'))).toBe(true);
    const deleted = await cli('env', 'delete', 'pr-4');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain('deleted pr-4 of stateful (stopped 1 revision, its data deleted)');
    expect(await exists(dataOf('pr-4'))).toBe(false);
    // A new preview of that name starts empty.
    expect((await cli('env', 'create', '--pr', '4', '--artifact', second)).code).toBe(0);
    expect(await app('pr-4', '/count')).toMatchObject({ data: 0 });
    expect((await cli('env', 'delete', 'pr-4')).code).toBe(0);
  });

  it("keeps a persistent environment's data when it is deleted, unless --purge-data", async () => {
    const forced = await cli('env', 'delete', 'production', '--force', '--json');
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ dataRemoved: false });
    expect(await exists(dataOf('production'))).toBe(true);
    await deploy('production', second);
    expect(await app('production', '/count')).toMatchObject({ version: 2, data: 3 });
    const purged = await cli('env', 'delete', 'production', '--force', '--purge-data');
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stdout).toContain('its data deleted');
    expect(await exists(dataOf('production'))).toBe(false);
    expect(await exists(dataOf('staging'))).toBe(true);
  });
});
