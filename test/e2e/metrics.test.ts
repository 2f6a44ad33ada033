import { appendFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoraResult, FlowResult } from '../../src/metrics/index.js';
import {
  type CliProcess,
  type CliResult,
  ERROR_RATE_ANALYSIS,
  type ExampleRepo,
  exampleRepo,
  gitIn,
  HELLO_SERVICE,
  routedHello,
  runCli,
  serveExample,
} from './helpers.js';

/**
 * The DORA keys of real events, through the built CLI: a first release, a canary that fails its
 * analysis and is rolled back (which opens an incident by itself), a hotfix, and an incident
 * opened by hand. Every expected figure is derived from those events' own records (deployment
 * times from `flowline deploy list`, commit times from git), never from the metrics code.
 *
 *   C0 (the example) ── build A ── deploy 1 (first release: takes all traffic)
 *   C1 ── build B with 50% errors ── deploy 2 (canary fails analysis, rolled back; incident opened)
 *   C2 ── build C ── deploy 3 --hotfix (ships C1 and C2)
 *   an incident opened by hand after deploy 3 (cause inferred: deploy 3), then resolved
 */

function config(fault: boolean): string {
  return `${HELLO_SERVICE}environments:
  production:${fault ? '\n    env: { FAULT_ERROR_RATE: "0.5" }' : ''}
    strategy:
      canary:
        steps:
          - setWeight: 50
          - pause: { duration: 1s }
          - analysis: { templates: [{ templateName: errors }] }
${ERROR_RATE_ANALYSIS}`;
}

interface DeploymentView {
  id: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
}

let example: ExampleRepo;
let repo: string;
let env: Record<string, string>;
let server: CliProcess;
let routerUrl: string;
const ids: string[] = [];
const commits: { sha: string; committedAt: string }[] = [];
let analysisIncident = '';
let handIncident = '';

function cli(...args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: repo, env });
}

async function json<T>(...args: string[]): Promise<T> {
  const res = await cli(...args, '--json');
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as T;
}

/** A commit that changes a build input, so the next build is a new artifact from a new commit. */
async function change(message: string): Promise<void> {
  await appendFile(path.join(repo, 'src', 'metrics-e2e.txt'), `${message}\n`);
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-qm', message);
}

function head(): { sha: string; committedAt: string } {
  const [sha = '', committedAt = ''] = gitIn(repo, 'log', '-1', '--format=%H %cI').split(' ');
  return { sha, committedAt };
}

async function build(file: string): Promise<string> {
  return (await json<{ artifact: { digest: string } }>('run', '--config', file)).artifact.digest;
}

/** Deploys to production with steady traffic through the router, so the analysis has samples. */
async function deploy(artifact: string, ...extra: string[]): Promise<CliResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  let stopped = false;
  const load = (async () => {
    while (!stopped) {
      await routedHello(routerUrl, 'production.hello.localhost', agent);
      await delay(10);
    }
  })();
  try {
    return await cli('deploy', 'production', '--artifact', artifact, ...extra);
  } finally {
    stopped = true;
    await load;
    agent.destroy();
  }
}

async function lastDeployment(): Promise<DeploymentView> {
  const { deployments } = await json<{ deployments: DeploymentView[] }>('deployments', '--service', 'hello');
  const last = deployments[0];
  if (last === undefined) throw new Error('no deployment');
  return last;
}

beforeAll(async () => {
  example = await exampleRepo('flowline-metrics-', {
    'flowline.yaml': config(false),
    'bad.yaml': config(true),
  });
  ({ repo, env } = example);
  commits.push(head());
  const a = await build('flowline.yaml');
  ({ server, routerUrl } = await serveExample(example));

  expect((await deploy(a)).code).toBe(0);
  ids.push((await lastDeployment()).id);

  await change('C1');
  commits.push(head());
  const failed = await deploy(await build('bad.yaml'));
  expect(failed.stderr).toContain('FLOWLINE_DEPLOY_FAILED');
  ids.push((await lastDeployment()).id);
  const opened = await json<{ incidents: { id: string; source: string; cause: unknown }[] }>(
    'incident',
    'list',
  );
  analysisIncident = opened.incidents.find((i) => i.source === 'analysis')?.id ?? '';

  await change('C2');
  commits.push(head());
  expect((await deploy(await build('flowline.yaml'), '--hotfix')).code).toBe(0);
  ids.push((await lastDeployment()).id);
  expect((await cli('incident', 'resolve', analysisIncident)).code).toBe(0);

  handIncident = (
    await json<{ incident: { id: string } }>(
      'incident',
      'open',
      '--env',
      'production',
      '--title',
      'slow checkout',
    )
  ).incident.id;
  expect((await cli('incident', 'resolve', handIncident)).code).toBe(0);
}, 240_000);

afterAll(async () => {
  if (server !== undefined) expect(await server.stop()).toBe(0);
  await example?.dispose();
});

describe('the DORA keys of real deployments', () => {
  it('measures every key from what happened', async () => {
    const { deployments } = await json<{ deployments: DeploymentView[] }>(
      'deployments',
      '--service',
      'hello',
    );
    const byId = new Map(deployments.map((d) => [d.id, d]));
    const [d1, d2, d3] = ids.map((id) => byId.get(id) as DeploymentView);
    const { incidents } = await json<{
      incidents: { id: string; source: string; openedAt: string; resolvedAt: string; cause: unknown }[];
    }>('incident', 'list', '--all');
    const analysis = incidents.find((i) => i.id === analysisIncident);
    const hand = incidents.find((i) => i.id === handIncident);
    expect(analysis).toMatchObject({
      source: 'analysis',
      cause: { kind: 'deployment', id: d2?.id, inferred: false },
    });
    expect(hand).toMatchObject({
      source: 'manual',
      cause: { kind: 'deployment', id: d3?.id, inferred: true },
    });

    const result = await json<DoraResult>('metrics', 'dora', '--service', 'hello', '--since', '1d');
    const [r] = result.services;
    const ms = (iso: string | null | undefined) => Date.parse(iso ?? '');

    // Deploys 1 and 3 succeeded; deploy 2 never replaced production.
    expect(r?.deploymentFrequency.deploymentIds).toEqual([d1?.id, d3?.id]);
    // C0 shipped by deploy 1; C1 (in the failed deploy 2) and C2 first by deploy 3.
    const lead = new Map([
      [commits[0]?.sha, ms(d1?.finishedAt) - ms(commits[0]?.committedAt)],
      [commits[1]?.sha, ms(d3?.finishedAt) - ms(commits[1]?.committedAt)],
      [commits[2]?.sha, ms(d3?.finishedAt) - ms(commits[2]?.committedAt)],
    ]);
    expect(new Set(r?.changeLeadTime.commitShas)).toEqual(new Set(lead.keys()));
    const sorted = [...lead.values()].sort((x, y) => x - y);
    expect(r?.changeLeadTime.medianMs).toBe(sorted[1]);
    // All three served users: 2 failed its analysis, 3 is blamed by an inferred incident.
    expect(r?.changeFailRate.deploymentIds).toEqual(ids);
    expect(r?.changeFailRate.rate).toBeCloseTo(2 / 3, 10);
    expect(r?.changeFailRate.failures.map((f) => [f.deploymentId, f.reasons])).toEqual([
      [d2?.id, ['failedAnalysis', 'incident']],
      [d3?.id, ['inferredIncident']],
    ]);
    // Deploy 2: from its release start to its incident's resolution. Deploy 3: from the
    // incident's opening (only it shows the failure) to its resolution.
    expect(r?.recoveryTime.recovered.map((x) => [x.deploymentId, x.durationMs])).toEqual([
      [d2?.id, ms(analysis?.resolvedAt) - ms(d2?.startedAt)],
      [d3?.id, ms(hand?.resolvedAt) - ms(hand?.openedAt)],
    ]);
    // One unplanned of three that served users: the hotfix (made during the open incident;
    // the hotfix flag names the reason).
    expect(r?.reworkRate).toMatchObject({ rate: 1 / 3, unplannedIds: [d3?.id], byReason: { hotfix: 1 } });
  });

  it('prints each key with its definition and clusters, and the value stream', async () => {
    const text = await cli('metrics', '--service', 'hello', '--since', '1d');
    expect(text.code, text.stderr).toBe(0);
    for (const name of [
      'Deployment frequency',
      'Change lead time',
      'Change fail rate',
      'Deployment rework rate',
    ])
      expect(text.stdout).toContain(name);
    expect(text.stdout).toContain('2023: ');
    expect(text.stdout).toContain('over 3 commits');

    const flow = await json<FlowResult>('metrics', 'flow', '--service', 'hello', '--since', '1d');
    const stream = flow.services[0];
    expect(stream?.stages.count).toBe(3);
    expect(stream?.workInProgress.count).toBe(0);
    expect(stream?.batchSizes.perDeployment.map((d) => d.commits)).toEqual([1, 2]);
  });

  it('refuses a reversed window with a coded error naming the option', async () => {
    const res = await cli('metrics', 'dora', '--from', '2026-11-02', '--to', '2026-11-01');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('FLOWLINE_USAGE');
    expect(res.stderr).toContain('--from');
  });
});
