import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../src/app/api.js';
import { createFlowline, type Flowline } from '../../src/app/flowline.js';
import { loadSettings } from '../../src/core/settings.js';
import type { DoraResult } from '../../src/metrics/index.js';
import type { Listening } from '../../src/server/index.js';
import { EXAMPLE_CONFIG, gitIn, REPO, readDb, runCli, tempDir } from './helpers.js';

// The history examples through the built CLI, embedded: a service registered by `config apply`,
// commits from a repository made here, then the example deployments (CSV) and incidents (JSON).

const EXAMPLES = path.join(REPO, 'examples', 'history');
let dir: Awaited<ReturnType<typeof tempDir>>;
let repo: string;
let env: Record<string, string>;

/** Four commits with fixed dates and authors: the same shas on every machine. */
const COMMITS: [string, string, string, string][] = [
  ['2026-10-01T09:00:00Z', 'server.js', 'one\ntwo\nthree\n', 'add the server'],
  ['2026-10-02T09:00:00Z', 'health.js', 'ok\n', 'add a health check'],
  ['2026-10-05T09:00:00Z', 'checkout.js', 'button\nform\n', 'a checkout button'],
  ['2026-10-06T09:00:00Z', 'checkout.js', 'button\nform\nfix\n', 'fix the checkout form'],
];
const shas: string[] = [];

beforeAll(async () => {
  dir = await tempDir('flowline-history-');
  repo = path.join(dir.path, 'hello');
  env = { FLOWLINE_HOME: path.join(dir.path, 'state') };
  gitIn(dir.path, 'init', '-q', '-b', 'main', repo);
  for (const [date, file, text, message] of COMMITS) {
    await writeFile(path.join(repo, file), text);
    gitIn(repo, 'add', '-A');
    process.env.GIT_AUTHOR_DATE = date;
    process.env.GIT_COMMITTER_DATE = date;
    try {
      gitIn(repo, 'commit', '-qm', message);
    } finally {
      delete process.env.GIT_AUTHOR_DATE;
      delete process.env.GIT_COMMITTER_DATE;
    }
    shas.push(gitIn(repo, 'rev-parse', 'HEAD'));
  }
  await copyFile(EXAMPLE_CONFIG, path.join(repo, 'flowline.yaml'));
  const applied = await runCli(['config', 'apply'], { cwd: repo, env });
  expect(applied.code, applied.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await dir?.dispose();
});

const cli = (...args: string[]) => runCli(args, { cwd: repo, env });
/** The arguments that import one of the example files, with --json. */
const example = (kind: 'deployments' | 'incidents', file: string) => [
  'history',
  'import',
  kind,
  path.join(EXAMPLES, file),
  '--json',
];

describe('importing the example history', () => {
  it('names the commits of the repository made here', async () => {
    const example = await readFile(path.join(EXAMPLES, 'deployments.csv'), 'utf8');
    for (const sha of shas.slice(1)) expect(example).toContain(sha);
  });

  it('imports the commits, then the deployments with complete ranges, then the incidents', async () => {
    const commits = await cli('history', 'import', 'commits', '--json');
    expect(commits.code, commits.stderr).toBe(0);
    expect(JSON.parse(commits.stdout).result).toMatchObject({
      kind: 'commits',
      rows: 4,
      imported: 4,
      skipped: 0,
    });
    expect(commits.stderr).toContain('commits: read from git and sent 4');

    const deployments = await cli(...example('deployments', 'deployments.csv'));
    expect(deployments.code, deployments.stderr).toBe(0);
    expect(JSON.parse(deployments.stdout).result).toEqual({
      kind: 'deployments',
      file: path.join(EXAMPLES, 'deployments.csv'),
      rows: 4,
      imported: 4,
      skipped: 0,
      ranges: { complete: 4, partial: 0, none: 0 },
    });

    const incidents = await cli('history', 'import', 'incidents', path.join(EXAMPLES, 'incidents.json'));
    expect(incidents.code, incidents.stderr).toBe(0);
    expect(incidents.stdout).toContain('Imported 2 incidents from');

    const listed = JSON.parse((await cli('deployments', '--service', 'hello', '--json')).stdout) as {
      deployments: {
        externalId: string;
        imported: boolean;
        outcome: string;
        environment: string;
        id: string;
      }[];
    };
    expect(listed.deployments.map((d) => [d.externalId, d.environment, d.outcome, d.imported])).toEqual([
      ['deploy-104', 'production', 'succeeded', true],
      ['deploy-103', 'production', 'failedAnalysis', true],
      ['deploy-102', 'production', 'succeeded', true],
      ['deploy-101', 'staging', 'succeeded', true],
    ]);
    const byExternal = Object.fromEntries(listed.deployments.map((d) => [d.externalId, d.id]));
    const open = JSON.parse((await cli('incident', 'list', '--all', '--json')).stdout) as {
      incidents: { title: string; source: string; status: string; cause: unknown }[];
    };
    expect(open.incidents.map((i) => [i.title, i.source, i.status, i.cause])).toEqual([
      [
        'slow health checks',
        'imported',
        'resolved',
        { kind: 'deployment', id: byExternal['deploy-104'], inferred: true },
      ],
      [
        'checkout answers 500',
        'imported',
        'resolved',
        { kind: 'deployment', id: byExternal['deploy-103'], inferred: false },
      ],
    ]);

    // The ranges, by hand: the first deployment of each environment ships c1 and c2; the failed
    // analysis shipped c3 without moving production, so the hotfix ships c3 again with c4.
    const ranges = readDb(
      env,
      (db) =>
        db
          .prepare(
            `SELECT d.external_id AS id, d.range_status AS status, group_concat(c.sha) AS shas
           FROM deployments d LEFT JOIN deployment_commits c ON c.deployment_id = d.id
           GROUP BY d.id ORDER BY d.external_id`,
          )
          .all() as { id: string; status: string; shas: string }[],
    ).map((r) => [r.id, r.status, r.shas.split(',').sort()]);
    const [c1, c2, c3, c4] = shas;
    expect(ranges).toEqual([
      ['deploy-101', 'complete', [c1, c2].sort()],
      ['deploy-102', 'complete', [c1, c2].sort()],
      ['deploy-103', 'complete', [c3]],
      ['deploy-104', 'complete', [c3, c4].sort()],
    ]);
    const marked = readDb(env, (db) => [
      db.prepare('SELECT count(*) FROM commits WHERE imported = 1 AND run_id IS NULL').pluck().get(),
      db.prepare("SELECT count(*) FROM incidents WHERE imported = 1 AND source = 'imported'").pluck().get(),
      db.prepare("SELECT count(*) FROM audit_events WHERE action = 'history.import'").pluck().get(),
    ]);
    expect(marked).toEqual([4, 2, 4]); // audit: staging and production deployments, production incidents, commits
  });

  it('gives the DORA keys of the imported month on the first day', async () => {
    const res = await cli(
      'metrics',
      'dora',
      '--service',
      'hello',
      '--from',
      '2026-10-01',
      '--to',
      '2026-11-01',
      '--json',
    );
    expect(res.code, res.stderr).toBe(0);
    const r = (JSON.parse(res.stdout) as DoraResult).services[0];
    const H = 3_600_000;
    const M = 60_000;
    // By hand from the example files and the four commits: deploy-102 (finished 10-02 14:10Z)
    // ships c1 (29h10m) and c2 (5h10m); deploy-104 (10:06) ships c3 (25h06m) and c4 (1h06m),
    // c3 again because deploy-103 failed its analysis. Median of four: (5h10m + 25h06m) / 2.
    expect(r?.deploymentFrequency.deployments).toBe(2);
    expect(r?.changeLeadTime.count).toBe(4);
    expect(r?.changeLeadTime.medianMs).toBe((5 * H + 10 * M + 25 * H + 6 * M) / 2);
    // deploy-103 failed its analysis (and INC-7 names it); deploy-104 is blamed by INC-8, inferred.
    expect(r?.changeFailRate.rate).toBeCloseTo(2 / 3, 10);
    // deploy-103: 11:00 to INC-7's resolution 11:30; deploy-104: INC-8 open 08:00Z to 09:00Z.
    expect(r?.recoveryTime.recovered.map((x) => x.durationMs)).toEqual([30 * M, H]);
    // The hotfix is the one unplanned deployment of three that served users.
    expect(r?.reworkRate.rate).toBeCloseTo(1 / 3, 10);
  });

  it('skips what it imported before, and refuses a bad file whole with exit code 2', async () => {
    const again = await cli('history', 'import', 'deployments', path.join(EXAMPLES, 'deployments.csv'));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Imported 0 deployments');
    expect(again.stdout).toContain('(4 skipped: imported before, unchanged)');

    // The file and the answer docs/metrics.md ("Bad input") shows.
    const folder = path.join(dir.path, 'bad');
    await mkdir(folder);
    await writeFile(
      path.join(folder, 'deployments.csv'),
      [
        'id,service,environment,commitSha,startedAt,finishedAt,outcome',
        `x1,hello,production,${shas[3]},2026-10-08T10:00:00Z,2026-10-08T10:01:00Z,succeeded`,
        `x2,hello,production,${shas[3]},2026-10-08 10:00,2026-10-08T10:01:00Z,succeeded`,
        `x3,hello,production,${shas[3]},2026-10-08T11:00:00Z,2026-10-08T11:01:00Z,rolledback`,
        '',
      ].join('\n'),
    );
    const bad = (...args: string[]) =>
      runCli(['history', 'import', 'deployments', 'deployments.csv', ...args], { cwd: folder, env });
    const refused = await bad('--json');
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout).error).toMatchObject({
      code: 'FLOWLINE_IMPORT_INVALID',
      issues: [
        { code: 'FLOWLINE_IMPORT_TIME', file: 'deployments.csv', line: 3, path: 'startedAt' },
        { code: 'FLOWLINE_IMPORT_VALUE', file: 'deployments.csv', line: 4, path: 'outcome' },
      ],
    });
    const doc = await readFile(path.join(REPO, 'docs', 'metrics.md'), 'utf8');
    const shown = doc.slice(doc.indexOf('    error FLOWLINE_IMPORT_INVALID')).split('\n').slice(0, 3);
    expect(shown).toHaveLength(3);
    const human = await bad();
    for (const line of shown) expect(human.stderr).toContain(line.trim());
    expect(
      readDb(env, (db) =>
        db.prepare("SELECT count(*) FROM deployments WHERE external_id = 'x1'").pluck().get(),
      ),
    ).toBe(0);
  });
});

describe('importing against a server', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let flowline: Flowline;
  let api: Listening;
  let admin = '';
  let deployer = '';

  beforeAll(async () => {
    home = await tempDir('flowline-history-server-');
    flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: home.path }, home.path));
    api = await startApi(flowline, { port: 0, host: '127.0.0.1' });
    admin = (await flowline.tokens.create({ name: 'admin', role: 'admin' }, flowline.localActor)).secret;
    deployer = (await flowline.tokens.create({ name: 'deployer', role: 'deploy' }, flowline.localActor))
      .secret;
    await flowline.catalog.ensureService('hello');
    await flowline.catalog.ensureEnvironment('hello', 'staging', 'persistent');
    await flowline.catalog.ensureEnvironment('hello', 'production', 'persistent');
  });

  afterAll(async () => {
    await api?.close();
    await flowline?.close();
    await home?.dispose();
  });

  const remote = (token: string, ...args: string[]) =>
    runCli(args, { cwd: repo, env: { FLOWLINE_URL: api.url, FLOWLINE_TOKEN: token } });

  it('sends the file and the commits to the server, which records them as the admin token', async () => {
    const deployments = await remote(admin, ...example('deployments', 'deployments.csv'));
    expect(deployments.code, deployments.stderr).toBe(0);
    // No commits on the server yet: the ranges are unknown until they come.
    expect(JSON.parse(deployments.stdout).result).toMatchObject({
      imported: 4,
      ranges: { complete: 0, partial: 0, none: 4 },
    });
    const commits = await remote(admin, 'history', 'import', 'commits', '--service', 'hello', '--json');
    expect(commits.code, commits.stderr).toBe(0);
    expect(JSON.parse(commits.stdout).result).toMatchObject({
      rows: 4,
      imported: 4,
      ranges: { complete: 4, partial: 0, none: 0 },
    });
    const listed = await flowline.catalog.listDeployments({ service: 'hello' });
    expect(listed.map((d) => [d.externalId, d.rangeStatus, d.actor])).toEqual([
      ['deploy-104', 'complete', 'admin'],
      ['deploy-103', 'complete', 'admin'],
      ['deploy-102', 'complete', 'admin'],
      ['deploy-101', 'complete', 'admin'],
    ]);
  });

  it('is refused to a deploy token (exit 5), and a bad file names the same lines as embedded', async () => {
    const refused = await remote(
      deployer,
      'history',
      'import',
      'incidents',
      path.join(EXAMPLES, 'incidents.json'),
      '--json',
    );
    expect(refused.code).toBe(5);
    expect(JSON.parse(refused.stdout).error.code).toBe('FLOWLINE_FORBIDDEN');
    const bad = path.join(home.path, 'incidents.json');
    await writeFile(
      bad,
      JSON.stringify({
        incidents: [{ id: 'i', service: 'hello', environment: 'production', title: 't', openedAt: 'monday' }],
      }),
    );
    const invalid = await remote(admin, 'history', 'import', 'incidents', bad, '--json');
    expect(invalid.code).toBe(2);
    expect(JSON.parse(invalid.stdout).error.issues).toMatchObject([
      { code: 'FLOWLINE_IMPORT_TIME', file: bad, path: 'incidents[0].openedAt' },
    ]);
  });
});
