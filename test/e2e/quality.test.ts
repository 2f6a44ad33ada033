import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApi } from '../../src/app/api.js';
import { createFlowline, type Flowline } from '../../src/app/flowline.js';
import { loadSettings } from '../../src/core/settings.js';
import type { QualityReport } from '../../src/quality/index.js';
import type { Listening } from '../../src/server/index.js';
import { type CliResult, runCli, tempDir } from './helpers.js';

// The quality plan end to end through the built CLI: a repository whose unit stage writes an lcov
// file (by `node -e`), `flowline run` measuring it, `flowline report` assessing it — embedded, and
// with the run recorded on a real server on loopback and the report read from it.

// 3 lines of which 2 hit (66.67%); 2 branches of which 1 taken (50%).
const LCOV =
  'TN:\\nSF:src/app.js\\nDA:1,1\\nDA:2,1\\nDA:3,0\\nBRDA:2,0,0,1\\nBRDA:2,0,1,0\\nend_of_record\\n';
const AUDIT = JSON.stringify({
  metadata: { vulnerabilities: { info: 0, low: 2, moderate: 0, high: 0, critical: 0, total: 2 } },
});

function config(unitWrites: string): string {
  return `version: 1
service: shop
build:
  command: mkdir -p out && cp src/app.js out/
  inputs: ["src/**"]
  output: out
stages:
  unit:
    steps:
      - run: ${JSON.stringify(`node -e "require('fs').mkdirSync('coverage',{recursive:true});require('fs').writeFileSync('coverage/lcov.info','${unitWrites}')"`)}
  audit:
    needs: []
    steps:
      - run: ${JSON.stringify(`node -e "require('fs').writeFileSync('audit.json', process.argv[1])" '${AUDIT}'`)}
quality:
  deliverables:
    - id: unit-coverage
      name: Unit test coverage
      standard: The code is covered by automated unit tests.
      aql: lines >= 60%
      method: coverage
      stage: unit
      report: coverage/lcov.info
    - id: branch-coverage
      name: Branch coverage
      standard: Both sides of decisions are tested.
      aql: branches >= 80%
      method: coverage
      stage: unit
      report: coverage/lcov.info
    - id: no-high-vulns
      name: Dependencies without known high vulnerabilities
      standard: No high or critical advisories against the dependencies.
      aql: [high == 0, critical == 0]
      method: vulnerabilities
      stage: audit
      report: audit.json
    - id: review
      name: Monthly security review
      standard: The ISSO reviews the month's changes.
      aql: Accepted by the ISSO
      method: manual
      signedOffBy: ISSO
    - id: staged
      name: Deployed to staging
      standard: The service reached staging in the period.
      aql: succeeded >= 1
      method: deployment
      environment: staging
`;
}

let dir: Awaited<ReturnType<typeof tempDir>>;
let repo: string;
const month = new Date().toISOString().slice(0, 7);

async function repoWith(unitWrites: string): Promise<void> {
  await mkdir(path.join(repo, 'src'), { recursive: true });
  await writeFile(path.join(repo, 'flowline.yaml'), config(unitWrites));
  await writeFile(path.join(repo, 'src', 'app.js'), 'console.log(1)\n');
  await writeFile(path.join(repo, '.gitignore'), 'out\ncoverage\naudit.json\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-qm', 'the plan');
}

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
const verdicts = (report: QualityReport) =>
  Object.fromEntries(report.deliverables.map((d) => [d.id, d.verdict]));
/** What the sample plan gives for LCOV and AUDIT: 66.67% of lines, 50% of branches, two low advisories. */
const EXPECTED = {
  'unit-coverage': 'pass',
  'branch-coverage': 'fail',
  'no-high-vulns': 'pass',
  review: 'no data', // until someone signs it off
  staged: 'fail', // nothing is deployed in these tests
};

const signoffArgs = (deliverable: string, by: string, ...rest: string[]) => [
  'report',
  'signoff',
  deliverable,
  '--period',
  month,
  '--by',
  by,
  ...rest,
];

/** The report of `flowline report --format json` (or `--json`), which must have succeeded. */
function reportOf(out: CliResult): QualityReport {
  expect(out.code, out.stderr).toBe(0);
  return (JSON.parse(out.stdout) as { report: QualityReport }).report;
}

describe('the quality plan, embedded', () => {
  let env: Record<string, string>;
  beforeEach(async () => {
    dir = await tempDir('flowline-quality-');
    repo = path.join(dir.path, 'repo');
    env = { FLOWLINE_HOME: path.join(dir.path, 'state') };
  });
  afterEach(async () => {
    execFileSync('chmod', ['-R', 'u+w', dir.path]); // artifacts are read-only
    await dir.dispose();
  });
  const flowline = (args: string[]) => runCli(args, { cwd: repo, env });

  it('measures coverage in the run and assesses it per AQL with the evidence', async () => {
    await repoWith(LCOV);
    const run = await flowline(['run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('quality unit-coverage: lines 66.67, branches 50 (coverage/lcov.info)');

    const report = reportOf(await flowline(['report', '--period', month, '--format', 'json']));
    expect(verdicts(report)).toEqual(EXPECTED);
    const [lines] = report.deliverables;
    expect(lines?.measured).toEqual({ lines: 66.67, branches: 50 });
    const runId = (run.stdout.match(/run (run_\w+) passed/) ?? [])[1];
    expect(lines?.evidence).toMatchObject({
      runId,
      branch: 'main',
      stage: 'unit',
      file: 'coverage/lcov.info',
      sha256: await sha256(path.join(repo, 'coverage', 'lcov.info')),
      artifactId: report.plan.artifactId,
    });
    expect(report.plan.artifactId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(report.summary).toEqual({ pass: 2, fail: 2, 'no data': 1 });

    // A sign-off names a manual deliverable of the plan; a typo is refused with a suggestion.
    const typo = await flowline(signoffArgs('reveiw', 'M. Lopez', '--json'));
    expect(typo.code).toBe(3);
    expect(JSON.parse(typo.stdout)).toMatchObject({
      error: { code: 'FLOWLINE_NOT_FOUND', hint: 'did you mean `review`?' },
    });
    const rejected = signoffArgs('review', 'M. Lopez', '--reject', '--note', 'findings open');
    expect((await flowline(rejected)).code).toBe(0);
    const after = reportOf(await flowline(['report', '--period', month, '--json']));
    expect(after.deliverables[3]).toMatchObject({ verdict: 'fail', reason: 'findings open' });

    const html = await flowline(['report', '--period', month, '--format', 'html', '-o', 'report.html']);
    expect(html.code, html.stderr).toBe(0);
    // The review is rejected by now.
    expect(html.stderr).toContain('Wrote report.html: 2 pass, 3 fail, 0 no data of 5 deliverables.');
    expect(await readFile(path.join(repo, 'report.html'), 'utf8')).toContain('<td>Unit test coverage<br>');
  });

  it('records a malformed report as a coded error in the run summary, and fails the deliverable', async () => {
    await repoWith('SF:src/app.js\\nDA:one,1\\nend_of_record\\n');
    const run = await flowline(['run']);
    expect(run.code, run.stderr).toBe(0); // the tests passed: a broken report does not fail the run
    expect(run.stdout).toContain(
      'quality unit-coverage: FLOWLINE_QUALITY_REPORT_INVALID coverage/lcov.info:2 is not a valid lcov report',
    );
    const report = reportOf(await flowline(['report', '--period', month, '--json']));
    expect(verdicts(report)).toMatchObject({ 'unit-coverage': 'fail', 'branch-coverage': 'fail' });
    expect(report.deliverables[0]?.error).toMatchObject({
      code: 'FLOWLINE_QUALITY_REPORT_INVALID',
      file: 'coverage/lcov.info',
      line: 2,
    });
  });

  it('refuses --from after --to with a coded error', async () => {
    await repoWith(LCOV);
    const out = await flowline(['report', '--from', '2026-11-20', '--to', '2026-11-01', '--json']);
    expect(out.code).toBe(2);
    const { error } = JSON.parse(out.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('FLOWLINE_USAGE');
    expect(error.message).toBe(
      'The window is empty: --from (2026-11-20T00:00:00.000Z) is not before --to (2026-11-01T00:00:00.000Z).',
    );
  });
});

describe('the quality plan, against a server', () => {
  let server: Flowline;
  let api: Listening;
  const tokens = { ci: '', read: '', deploy: '', productionOnly: '' };
  beforeAll(async () => {
    dir = await tempDir('flowline-quality-remote-');
    repo = path.join(dir.path, 'repo');
    server = await createFlowline(loadSettings({ FLOWLINE_HOME: path.join(dir.path, 'server') }, dir.path));
    api = await startApi(server, { port: 0, host: '127.0.0.1' });
    for (const role of ['ci', 'read', 'deploy'] as const) {
      tokens[role] = (await server.tokens.create({ name: `q-${role}`, role }, server.localActor)).secret;
    }
    const scoped = { name: 'q-production', role: 'read', environments: ['production'] } as const;
    tokens.productionOnly = (await server.tokens.create(scoped, server.localActor)).secret;
  });
  afterAll(async () => {
    await api.close();
    await server.close();
    execFileSync('chmod', ['-R', 'u+w', dir.path]);
    await dir.dispose();
  });
  const onMachine = (machine: string, args: string[], token: string) =>
    runCli(args, {
      cwd: repo,
      env: { FLOWLINE_HOME: path.join(dir.path, machine), FLOWLINE_URL: api.url, FLOWLINE_TOKEN: token },
    });

  it('records the measurements on the server, which reports them without the repository', async () => {
    await repoWith(LCOV);
    const run = await onMachine('ci-1', ['run'], tokens.ci);
    expect(run.code, run.stderr).toBe(0);
    // Another machine, with only the read role: the server has the plan (sealed in the artifact) and the measurements.
    const report = reportOf(await onMachine('laptop', ['report', '--period', month, '--json'], tokens.read));
    expect(verdicts(report)).toEqual(EXPECTED);
    expect(report.deliverables[2]?.measured).toMatchObject({ high: 0, critical: 0, low: 2 });
    expect(report.deliverables[2]?.evidence.sha256).toBe(await sha256(path.join(repo, 'audit.json')));
    // Deployment ids come with their environment, so a reader (the dashboard) can find them.
    expect(report.deliverables[4]?.evidence).toEqual({ ids: [], environment: 'staging' });

    const signoff = signoffArgs('review', 'M. Lopez, ISSO', '--note', '14 changes');
    expect((await onMachine('laptop', signoff, tokens.read)).code).toBe(5); // a reader may not sign off
    const signed = await onMachine('laptop', signoff, tokens.deploy);
    expect(signed.code, signed.stderr).toBe(0);
    const after = reportOf(await onMachine('laptop', ['report', '--period', month, '--json'], tokens.read));
    expect(after.deliverables[3]).toMatchObject({
      verdict: 'pass',
      reason: '14 changes',
      evidence: { signoff: { signedBy: 'M. Lopez, ISSO', recordedBy: 'q-deploy', period: month } },
    });
    const audited = await server.audit.list({ action: 'quality.signoff' });
    expect(audited.map((e) => [e.actor.name, e.target])).toEqual([['q-deploy', 'quality:shop/review']]);
  });

  it("shows a token scoped to other environments no figures of staging's deployments", async () => {
    const args = ['report', '--period', month, '--json'];
    const report = reportOf(await onMachine('laptop', args, tokens.productionOnly));
    expect(report.deliverables[4]).toMatchObject({
      id: 'staged',
      verdict: 'no data',
      reason: "staging is outside this token's environments (production)",
      evidence: {},
    });
    // What is not about an environment is the same as for any reader.
    expect(report.deliverables[2]?.verdict).toBe('pass');
  });
});
