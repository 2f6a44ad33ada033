import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifactsBuiltBy,
  type CliProcess,
  type CliResult,
  ERROR_RATE_ANALYSIS,
  type ExampleRepo,
  exampleRepo,
  HELLO_SERVICE,
  type RoutedAnswer,
  routedHello,
  runCli,
  serveExample,
  until,
} from './helpers.js';

/**
 * Canary releases of the example service for real: `flowline serve` runs the router, the
 * supervisor and the analysis; the CLI deploys, watches and steers releases while a bounded
 * load loop sends traffic through the router. Assertions are about outcomes, never timings.
 */

/** flowline.yaml; with `fault`, instances started in `canary` and `watched` answer half their requests with 500. */
function config(fault = false): string {
  const env = fault ? '\n    env: { FAULT_ERROR_RATE: "0.5" }' : '';
  return `${HELLO_SERVICE}environments:
  canary:${env}
    strategy:
      canary:
        steps:
          - setWeight: 50
          - pause: { duration: 1s }
          - analysis: { templates: [{ templateName: errors }] }
  watched:${env}
    strategy:
      canary:
        steps:
          - setWeight: 25
          - pause: {}
        analysis: { templates: [{ templateName: errors }], startingStep: 1 }
  held:
    strategy:
      canary:
        steps:
          - setWeight: 25
          - pause: {}
          - setWeight: 50
          - pause: {}
          - setWeight: 75
          - pause: {}
${ERROR_RATE_ANALYSIS}`;
}

type Answer = RoutedAnswer;

interface Release {
  deployment: { id: string; status: string; reason: string | null };
  phase: string | null;
  traffic: { revision: string; weight: number }[];
  journal: { at: string; kind: string; message: string }[];
}

let example: ExampleRepo;
let repo: string;
let env: Record<string, string>;
let server: CliProcess;
let routerUrl: string;
let apiUrl: string;
let secret: string;

function cli(...args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: repo, env });
}

function via(host: string, agent?: http.Agent): Promise<Answer> {
  return routedHello(routerUrl, host, agent);
}

/** Steady traffic through the router until stopped (or 60 s at most): two keep-alive clients. */
function traffic(host: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const answers: Answer[] = [];
  const deadline = Date.now() + 60_000;
  let stopped = false;
  const client = async () => {
    while (!stopped && Date.now() < deadline) {
      answers.push(await via(host, agent));
      await delay(10);
    }
  };
  const done = Promise.all([client(), client()]);
  return {
    answers,
    async stop(): Promise<Answer[]> {
      stopped = true;
      await done;
      agent.destroy();
      return answers;
    },
  };
}

/** The release as the API reports it (what `flowline release status --json` prints). */
async function release(environment: string): Promise<Release> {
  const res = await fetch(`${apiUrl}/v1/releases/hello/${environment}?lines=200`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  return (await res.json()) as Release;
}

async function releaseStatus(environment: string): Promise<Release> {
  const res = await cli('release', 'status', environment, '--json');
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as Release;
}

/** Artifacts by the flowline.yaml they were built with (what runs is fixed by the artifact). */
const artifactOf = artifactsBuiltBy((...args) => cli(...args));

/** Starts a deploy in the background; it resolves when the CLI exits. */
async function deploy(environment: string, file = 'flowline.yaml'): Promise<CliResult> {
  return cli('deploy', environment, '--artifact', await artifactOf(file));
}

/** `flowline deployments --env E --json`, newest first. */
async function deployments(environment: string) {
  const res = await cli('deployments', '--env', environment, '--json');
  expect(res.code, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as { deployments: Record<string, unknown>[] }).deployments;
}

/** `flowline incident list --env E --json` (unresolved ones unless `--all`). */
async function incidents(environment: string, ...more: string[]) {
  const res = await cli('incident', 'list', '--env', environment, ...more, '--json');
  expect(res.code, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as { incidents: { id: string }[] }).incidents;
}

async function stableRevision(environment: string): Promise<string> {
  const { traffic: split } = await release(environment);
  expect(split).toHaveLength(1);
  return split[0]?.revision ?? '';
}

beforeAll(async () => {
  example = await exampleRepo('flowline-release-', { 'flowline.yaml': config(), 'bad.yaml': config(true) });
  ({ repo, env } = example);
  await artifactOf('flowline.yaml');
  await artifactOf('bad.yaml');
  ({ server, routerUrl, apiUrl, secret } = await serveExample(example));
  // The first release of each environment has nothing to compare with: it takes all traffic.
  for (const environment of ['canary', 'watched', 'held']) {
    const first = await deploy(environment);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('first release here');
  }
}, 120_000);

afterAll(async () => {
  if (server !== undefined) expect(await server.stop()).toBe(0);
  await example?.dispose();
});

describe('a canary release', () => {
  it('promotes a healthy canary after its analysis, recording steps and measurements', async () => {
    const stable = await stableRevision('canary');
    const load = traffic('canary.hello.localhost');
    const res = await deploy('canary');
    const answers = await load.stop();
    expect(res.code, res.stderr).toBe(0);

    const status = await releaseStatus('canary');
    expect(status.deployment.status).toBe('succeeded');
    expect(status.phase).toBeNull();
    const [only] = status.traffic;
    expect(status.traffic).toHaveLength(1);
    expect(only?.weight).toBe(100);
    const canary = only?.revision ?? '';
    expect(canary).not.toBe(stable);
    const messages = status.journal.map((line) => line.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringContaining('step 1/3: setWeight 50%'),
        expect.stringContaining('step 2/3: pause 1s'),
        expect.stringContaining('step 3/3: analysis passed'),
        expect.stringContaining(`✔ promoted: ${canary} takes all traffic`),
      ]),
    );
    const measurements = status.journal.filter((line) => line.kind === 'measurement');
    expect(measurements).toHaveLength(4);
    for (const m of measurements) expect(m.message).toMatch(/^errors\/error-rate #\d: Successful = 0/);
    // Each measurement is journaled once, as a measurement: `release status` shows it once.
    for (const m of measurements) expect(messages.filter((x) => x.trim() === m.message)).toHaveLength(1);
    const shown = await cli('release', 'status', 'canary');
    expect(shown.code, shown.stderr).toBe(0);
    for (const m of measurements) expect(shown.stdout.split(m.message)).toHaveLength(2);
    expect(shown.stdout).toContain(`http://canary.hello.localhost:${new URL(routerUrl).port}/`);

    // Both revisions answered during the release, every answer was a success, and now only the canary answers.
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.revision))).toEqual(new Set([stable, canary]));
    const after = await Promise.all(Array.from({ length: 20 }, () => via('canary.hello.localhost')));
    expect(after.every((a) => a.status === 200 && a.revision === canary)).toBe(true);
  }, 90_000);

  it('fails a canary that answers 50% errors and sends all traffic back to stable', async () => {
    const stable = await stableRevision('canary');
    const load = traffic('canary.hello.localhost');
    const res = await deploy('canary', 'bad.yaml');
    const answers = await load.stop();
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('FLOWLINE_DEPLOY_FAILED');

    const status = await releaseStatus('canary');
    expect(status.deployment.status).toBe('failed');
    expect(status.traffic).toEqual([{ revision: stable, weight: 100 }]);
    // One line a human can act on: the metric, its value and the condition it broke.
    const reason = status.deployment.reason ?? '';
    expect(reason).not.toContain('\n');
    expect(reason).toMatch(/^error-rate: errorRate [\d.]+ .*broke `result < 0\.05` 1 time \(limit 0\)/);
    expect(status.journal.some((l) => l.kind === 'measurement' && l.message.includes('Failed'))).toBe(true);

    // The canary did answer (some of it with errors) before it was stopped...
    expect(answers.some((a) => a.revision !== stable && a.status === 500)).toBe(true);
    // ...and the stable revision never failed, and is all that answers now.
    expect(answers.filter((a) => a.revision === stable).every((a) => a.status === 200)).toBe(true);
    const after = await Promise.all(Array.from({ length: 20 }, () => via('canary.hello.localhost')));
    expect(after.every((a) => a.status === 200 && a.revision === stable)).toBe(true);

    // It served users and failed its analysis: the controller opened an incident caused by it.
    const [failed] = await deployments('canary');
    expect(failed).toMatchObject({
      id: status.deployment.id,
      outcome: 'failedAnalysis',
      servedAt: expect.any(String),
    });
    expect(await incidents('canary')).toMatchObject([
      {
        source: 'analysis',
        status: 'open',
        openedBy: 'flowline',
        cause: { kind: 'deployment', id: status.deployment.id, inferred: false },
      },
    ]);
  }, 90_000);

  it('records a deployment made while that incident is open as unplanned, for the incident', async () => {
    const [incident] = await incidents('canary');
    const load = traffic('canary.hello.localhost');
    const fix = await deploy('canary');
    await load.stop();
    expect(fix.code, fix.stderr).toBe(0);
    expect((await deployments('canary'))[0]).toMatchObject({
      outcome: 'succeeded',
      unplannedReason: 'incident',
    });
    const resolved = await cli('incident', 'resolve', incident?.id ?? '', '--resolution', 'fixed', '--json');
    expect(resolved.code, resolved.stderr).toBe(0);
    // Resolved: the next one is planned again.
    const again = traffic('canary.hello.localhost'); // the analysis needs requests to judge
    const next = await deploy('canary');
    await again.stop();
    expect(next.code, next.stderr).toBe(0);
    expect((await deployments('canary'))[0]).toMatchObject({ outcome: 'succeeded', unplannedReason: null });
    expect(await incidents('canary', '--all')).toHaveLength(1);
  }, 90_000);

  it('fails a canary paused until promoted as soon as its background analysis fails', async () => {
    const stable = await stableRevision('watched');
    const load = traffic('watched.hello.localhost');
    const res = await deploy('watched', 'bad.yaml');
    const answers = await load.stop();
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('background analysis: errors');

    const status = await releaseStatus('watched');
    expect(status.deployment.status).toBe('failed');
    expect(status.deployment.reason).toMatch(/^error-rate: errorRate [\d.]+ .*broke `result < 0\.05`/);
    expect(status.traffic).toEqual([{ revision: stable, weight: 100 }]);
    expect(answers.filter((a) => a.revision === stable).every((a) => a.status === 200)).toBe(true);
    const after = await Promise.all(Array.from({ length: 20 }, () => via('watched.hello.localhost')));
    expect(after.every((a) => a.status === 200 && a.revision === stable)).toBe(true);
  }, 90_000);
});

describe('steering a release', () => {
  it('aborts a release waiting in an indefinite pause: all traffic back to stable at once', async () => {
    const stable = await stableRevision('held');
    const running = deploy('held');
    const paused = await until(
      'the canary waits in its first pause',
      () => release('held'),
      (r) => r.phase === 'step:1',
    );
    const canary = paused.traffic.find((b) => b.revision !== stable);
    expect(paused.traffic).toEqual([
      { revision: stable, weight: 75 },
      { revision: canary?.revision, weight: 25 },
    ]);

    const aborted = await cli('release', 'abort', 'held');
    expect(aborted.code, aborted.stderr).toBe(0);
    const res = await running;
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('aborted by');

    const status = await releaseStatus('held');
    expect(status.deployment).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/^aborted by /),
    });
    expect(status.traffic).toEqual([{ revision: stable, weight: 100 }]);
    const after = await Promise.all(Array.from({ length: 20 }, () => via('held.hello.localhost')));
    expect(after.every((a) => a.status === 200 && a.revision === stable)).toBe(true);
    // A person sent it back: it served and was rolled back, and no incident opens by itself.
    expect((await deployments('held'))[0]).toMatchObject({ outcome: 'rolledBack' });
    expect(await incidents('held', '--all')).toEqual([]);
  }, 60_000);

  it('refuses to promote a release that already failed', async () => {
    const res = await cli('release', 'promote', 'held');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('FLOWLINE_NOT_FOUND');
    expect(res.stderr).toMatch(/no release is under way in held/i);
  });

  it('refuses a second deploy while a release runs, then promotes step by step and --full', async () => {
    const stable = await stableRevision('held');
    const running = deploy('held');
    await until(
      'the first pause',
      () => release('held'),
      (r) => r.phase === 'step:1',
    );

    const second = await deploy('held');
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain('FLOWLINE_DEPLOY_IN_PROGRESS');

    expect((await cli('release', 'promote', 'held')).code).toBe(0);
    const halfway = await until(
      'the second pause',
      () => release('held'),
      (r) => r.phase === 'step:3',
    );
    expect(halfway.traffic.find((b) => b.revision === stable)?.weight).toBe(50);

    const full = await cli('release', 'promote', 'held', '--full');
    expect(full.code, full.stderr).toBe(0);
    const res = await running;
    expect(res.code, res.stderr).toBe(0);

    const status = await releaseStatus('held');
    expect(status.deployment.status).toBe('succeeded');
    expect(status.traffic).toEqual([{ revision: expect.not.stringMatching(stable), weight: 100 }]);
    const messages = status.journal.map((l) => l.message).join('\n');
    expect(messages).toContain('step 3/6: setWeight 50%');
    expect(messages).not.toContain('setWeight 75%');
    // Only one deployment ran: the refused one left no trace in the environment's history.
    const list = JSON.parse((await cli('deployments', '--env', 'held', '--json')).stdout);
    expect(list.deployments.map((d: { status: string }) => d.status)).toEqual([
      'succeeded',
      'failed',
      'succeeded',
    ]);
  }, 60_000);
});
