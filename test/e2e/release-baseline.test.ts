import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifactsBuiltBy,
  type CliProcess,
  type CliResult,
  type ExampleRepo,
  exampleRepo,
  HELLO_SERVICE,
  readDb,
  routedHello,
  runCli,
  running,
  serveExample,
  until,
} from './helpers.js';

/**
 * A canary judged statistically, for real: `flowline serve` starts a fresh baseline instance of
 * the stable revision beside the canary, routes it the canary's share, the judge compares the two,
 * and the baseline's process is gone once the release is promoted or aborted. Assertions are about
 * outcomes, never timings.
 */

const CONFIG = `${HELLO_SERVICE}environments:
  judged:
    strategy:
      canary:
        steps:
          - setWeight: 20
          - pause: {}
          - analysis: { templates: [{ templateName: judged }] }
analysis:
  templates:
    judged:
      metrics:
        - name: errors
          provider: { judge: { signal: errorRate } }
`;

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

const artifactOf = artifactsBuiltBy((...args) => cli(...args));

async function deploy(): Promise<CliResult> {
  return cli('deploy', 'judged', '--artifact', await artifactOf('flowline.yaml'));
}

async function release(): Promise<Release> {
  const res = await fetch(`${apiUrl}/v1/releases/hello/judged?lines=200`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  return (await res.json()) as Release;
}

/** The live pids the runtime recorded for a revision's instances. */
function pidsOf(revision: string): number[] {
  return readDb(env, (db) =>
    (
      db.prepare('SELECT pid FROM instances WHERE revision = ? AND pid IS NOT NULL').all(revision) as {
        pid: number;
      }[]
    ).map((r) => r.pid),
  ).filter(running);
}

/** Which revision answers a request pinned to `revision` (the router's pin header). */
function pinned(revision: string): Promise<{ status: number; revision: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${routerUrl}/api/hello`,
      { headers: { host: 'judged.hello.localhost', 'x-flowline-revision': revision } },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            revision: String(res.headers['x-flowline-revision'] ?? ''),
          }),
        );
      },
    );
    req.on('error', reject);
  });
}

/** Steady traffic through the router until stopped: two keep-alive clients. */
function traffic() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  let stopped = false;
  const client = async () => {
    while (!stopped) {
      await routedHello(routerUrl, 'judged.hello.localhost', agent);
      await delay(10);
    }
  };
  const done = Promise.all([client(), client()]);
  return async () => {
    stopped = true;
    await done;
    agent.destroy();
  };
}

/** Deploys and waits for the canary to pause at 20%; its stable and canary revisions. */
async function pausedRelease() {
  const before = await release();
  expect(before.traffic).toHaveLength(1);
  const stable = before.traffic[0]?.revision ?? '';
  const deploying = deploy();
  const paused = await until(
    'the canary pauses at 20%',
    () => release(),
    (r) => r.phase === 'step:1',
  );
  const canary = paused.traffic.at(-1)?.revision ?? '';
  return { stable, canary, baseline: `${stable}.baseline`, paused, deploying };
}

beforeAll(async () => {
  example = await exampleRepo('flowline-baseline-', { 'flowline.yaml': CONFIG });
  ({ repo, env } = example);
  await artifactOf('flowline.yaml');
  ({ server, routerUrl, apiUrl, secret } = await serveExample(example));
  const first = await deploy();
  expect(first.code, first.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  if (server !== undefined) expect(await server.stop()).toBe(0);
  await example?.dispose();
});

describe('a canary judged against a fresh baseline', () => {
  it('runs a fresh instance of stable beside the canary with the same share, judges against it, and stops it at promotion', async () => {
    const { stable, canary, baseline, paused, deploying } = await pausedRelease();
    expect(paused.traffic).toEqual([
      { revision: stable, weight: 60 },
      { revision: baseline, weight: 20 },
      { revision: canary, weight: 20 },
    ]);
    const journal = paused.journal.map((l) => l.message);
    expect(journal).toContain(`starting a fresh baseline of ${stable} for the judge: ${baseline}`);
    expect(journal).toContain(
      `step 1/3: setWeight 20% → ${canary} (stable ${stable} 60%, fresh baseline ${baseline} 20%)`,
    );
    // A process of its own, which the router knows as its own revision.
    const pids = pidsOf(baseline);
    expect(pids).toHaveLength(1);
    expect(pidsOf(stable)).not.toEqual(pids);
    expect(await pinned(baseline)).toEqual({ status: 200, revision: baseline });
    const status = await cli('release', 'status', 'judged');
    expect(status.stdout).toContain(`traffic ${stable} 60% · ${baseline} 20% · ${canary} 20%`);

    const stop = traffic();
    const promoted = await cli('release', 'promote', 'judged');
    expect(promoted.code, promoted.stderr).toBe(0);
    const res = await deploying;
    await stop();
    expect(res.code, res.stderr).toBe(0);

    const done = await release();
    expect(done.deployment.status).toBe('succeeded');
    expect(done.traffic).toEqual([{ revision: canary, weight: 100 }]);
    const measured = done.journal.filter((l) => l.kind === 'measurement').map((l) => l.message);
    expect(measured.some((m) => m.includes('errorRate canary within tolerance of baseline'))).toBe(true);
    await until(
      'the baseline has stopped',
      async () => pidsOf(baseline),
      (p) => p.length === 0,
    );
    for (const pid of pids) expect(running(pid)).toBe(false);
  }, 120_000);

  it('stops the baseline with the canary when the release is aborted, all traffic on stable', async () => {
    const { stable, baseline, paused, deploying } = await pausedRelease();
    expect(paused.traffic.map((b) => b.weight)).toEqual([60, 20, 20]);
    const pids = pidsOf(baseline);
    expect(pids).toHaveLength(1);

    const aborted = await cli('release', 'abort', 'judged');
    expect(aborted.code, aborted.stderr).toBe(0);
    expect((await deploying).code).toBe(1);

    const after = await release();
    expect(after.deployment.status).toBe('failed');
    expect(after.traffic).toEqual([{ revision: stable, weight: 100 }]);
    await until(
      'the baseline has stopped',
      async () => pidsOf(baseline),
      (p) => p.length === 0,
    );
    for (const pid of pids) expect(running(pid)).toBe(false);
  }, 120_000);

  it('adopts the running baseline when a restarted Flowline carries the canary on, and stops it when that canary is aborted', async () => {
    const { stable, canary, baseline, deploying } = await pausedRelease();
    const pids = pidsOf(baseline);
    expect(pids).toHaveLength(1);

    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGKILL');
    await exited;
    expect((await deploying).code).not.toBe(0);
    expect(pids.every(running)).toBe(true);

    ({ server, routerUrl, apiUrl, secret } = await serveExample(example, [
      '--router-port',
      new URL(routerUrl).port,
    ]));
    const resumed = await until(
      'the canary carries on with its baseline',
      () => release(),
      (r) => r.journal.some((l) => l.message.startsWith(`fresh baseline ${baseline} adopted`)),
    );
    expect(resumed.phase).toBe('step:1');
    expect(resumed.traffic).toEqual([
      { revision: stable, weight: 60 },
      { revision: baseline, weight: 20 },
      { revision: canary, weight: 20 },
    ]);
    expect(pidsOf(baseline)).toEqual(pids); // adopted, not started again
    expect(await pinned(baseline)).toEqual({ status: 200, revision: baseline });

    const aborted = await cli('release', 'abort', 'judged');
    expect(aborted.code, aborted.stderr).toBe(0);
    await until(
      'the release ends',
      () => release(),
      (r) => r.deployment.status === 'failed',
    );
    expect((await release()).traffic).toEqual([{ revision: stable, weight: 100 }]);
    await until(
      'the baseline has stopped',
      async () => pidsOf(baseline),
      (p) => p.length === 0,
    );
    for (const pid of pids) expect(running(pid)).toBe(false);
  }, 180_000);
});
