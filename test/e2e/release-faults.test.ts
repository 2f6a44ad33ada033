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
  type RoutedAnswer,
  readDb,
  recordedPids,
  routedGet,
  routedHello,
  runCli,
  running,
  serveExample,
  signalGroup,
  until,
} from './helpers.js';

/**
 * Releases under faults, with real processes: Flowline killed with SIGKILL in the middle of a
 * canary and restarted on the same home (the canary carries on, or fails safe when its instances
 * died meanwhile), an instance crashing during a blue-green switch, and two deploys racing for
 * one environment. Each must end in a defined state with traffic on healthy instances.
 */

/**
 * flowline.yaml; `crash` makes instances started with it in `bluegreen` exit 3 s after they
 * start, and watches that environment's switch with post-promotion analysis.
 */
function config(crash = false): string {
  const bluegreen = crash
    ? `
    env: { FAULT_CRASH_AFTER_MS: "3000" }
    strategy:
      blueGreen:
        scaleDownDelay: 1h
        postPromotionAnalysis: { templates: [{ templateName: errors }] }`
    : `
    strategy: { blueGreen: { scaleDownDelay: 1h } }`;
  return `${HELLO_SERVICE}environments:
  production:
    instances: 2
    strategy:
      canary:
        steps:
          - setWeight: 50
          - pause: {}
  bluegreen:${bluegreen}
  race:
    strategy: { blueGreen: { scaleDownDelay: 0s } }
  analysed:
    strategy:
      blueGreen:
        scaleDownDelay: 1h
        postPromotionAnalysis: { templates: [{ templateName: slow }] }
analysis:
  templates:
    slow:
      metrics:
        - name: error-rate
          initialDelay: 500ms
          interval: 500ms
          count: 12
          successCondition: result < 0.05
          failureLimit: 0
          inconclusiveLimit: 12
          provider:
            router: { signal: errorRate, window: 1s }
    errors:
      metrics:
        - name: error-rate
          initialDelay: 500ms
          interval: 250ms
          count: 16
          successCondition: result < 0.05
          failureLimit: 0
          provider:
            router: { signal: errorRate, window: 1s }
`;
}

type Answer = RoutedAnswer;

interface Release {
  deployment: { id: string; status: string; reason: string | null };
  phase: string | null;
  traffic: { revision: string; weight: number }[];
  journal: { message: string }[];
}

let example: ExampleRepo;
let repo: string;
let env: Record<string, string>;
let server: CliProcess;
let routerUrl = '';
let apiUrl = '';
let secret = '';

function cli(...args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: repo, env });
}

async function serve(...extraArgs: string[]): Promise<void> {
  ({ server, routerUrl, apiUrl, secret } = await serveExample(example, extraArgs));
}

/** SIGKILLs the server and resolves once it is gone (its sockets closed with it). */
async function killServer(): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGKILL');
  await exited;
}

function via(host: string, agent?: http.Agent): Promise<Answer> {
  return routedHello(routerUrl, host, agent);
}

async function twenty(host: string): Promise<Answer[]> {
  return Promise.all(Array.from({ length: 20 }, () => via(host)));
}

/** Artifacts by the flowline.yaml they were built with (what runs is fixed by the artifact). */
const artifactOf = artifactsBuiltBy((...args) => cli(...args));

async function release(environment: string): Promise<Release> {
  const res = await fetch(`${apiUrl}/v1/releases/hello/${environment}`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  return (await res.json()) as Release;
}

async function releaseStatus(environment: string): Promise<Release> {
  const res = await cli('release', 'status', environment, '--json');
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as Release;
}

/** The pids the runtime recorded for a revision's instances. */
function pidsOf(revision: string): number[] {
  return readDb(env, (db) =>
    (
      db.prepare('SELECT pid FROM instances WHERE revision = ? AND pid IS NOT NULL').all(revision) as {
        pid: number;
      }[]
    ).map((r) => r.pid),
  );
}

/** The process groups the runtime recorded for a revision's instances. */
function groupsOf(revision: string): number[] {
  return readDb(env, (db) =>
    (
      db.prepare('SELECT pgid FROM instances WHERE revision = ? AND pgid IS NOT NULL').all(revision) as {
        pgid: number;
      }[]
    ).map((r) => r.pgid),
  );
}

/** One request through the router on a connection of its own: an answer, or the error's code. */
function requestOnce(port: number, host: string): Promise<Answer | { error: string }> {
  return routedGet(`http://127.0.0.1:${port}`, host, false);
}

/**
 * Requests to `host` through the router on `port`, one after another, until stopped. Refused
 * connections (no router listening) are counted apart from failures: anything else that is not
 * a 200 from an instance. `between` runs an action while no request is in flight.
 */
function steadyLoad(port: number, host: string) {
  const tally = { ok: new Map<string, number>(), refused: 0, failed: [] as string[] };
  let stopped = false;
  let pending: (() => Promise<void>) | undefined;
  const loop = (async () => {
    while (!stopped) {
      if (pending !== undefined) {
        await pending();
        pending = undefined;
      }
      const answer = await requestOnce(port, host);
      if ('error' in answer) {
        if (answer.error === 'ECONNREFUSED') tally.refused += 1;
        else tally.failed.push(answer.error);
      } else if (answer.status === 200) {
        tally.ok.set(answer.revision, (tally.ok.get(answer.revision) ?? 0) + 1);
      } else {
        tally.failed.push(`${answer.status} from ${answer.revision || 'the router'}`);
      }
      await delay(5);
    }
  })();
  return {
    /** Requests answered 200 so far. */
    answered(): number {
      return [...tally.ok.values()].reduce((sum, n) => sum + n, 0);
    },
    between(action: () => Promise<void>): Promise<void> {
      return new Promise((resolve, reject) => {
        pending = () => action().then(resolve, reject);
      });
    },
    async stop() {
      stopped = true;
      await loop;
      return tally;
    },
  };
}

beforeAll(async () => {
  example = await exampleRepo('flowline-release-faults-', {
    'flowline.yaml': config(),
    'crash.yaml': config(true),
  });
  ({ repo, env } = example);
  await artifactOf('flowline.yaml');
  await artifactOf('crash.yaml');
  await serve();
  for (const environment of ['production', 'bluegreen', 'analysed']) {
    // The analysis after the switch judges only requests: give it some (no data never passes).
    const load = steadyLoad(Number(new URL(routerUrl).port), `${environment}.hello.localhost`);
    const first = await cli('deploy', environment, '--artifact', await artifactOf('flowline.yaml'));
    await load.stop();
    expect(first.code, first.stderr).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  if (server !== undefined) expect(await server.stop()).toBe(0);
  // No instance outlives the server that stopped them (stopped ones have no pid recorded).
  expect(recordedPids(env).filter(running)).toEqual([]);
  await example?.dispose();
});

describe('Flowline killed with SIGKILL in the middle of a canary', () => {
  /** Deploys production and waits for its canary to pause at 50%; resolves its revisions and pids. */
  async function pausedCanary() {
    const stable = (await release('production')).traffic[0]?.revision ?? '';
    const deploying = cli('deploy', 'production', '--artifact', await artifactOf('flowline.yaml'));
    const paused = await until(
      'the canary pauses',
      () => release('production'),
      (r) => r.phase === 'step:1',
    );
    const canary = paused.traffic.find((b) => b.revision !== stable)?.revision ?? '';
    expect(paused.traffic).toEqual([
      { revision: stable, weight: 50 },
      { revision: canary, weight: 50 },
    ]);
    const canaryPids = pidsOf(canary);
    const stablePids = pidsOf(stable);
    expect(canaryPids).toHaveLength(2);
    expect(stablePids).toHaveLength(2);
    return { stable, canary, canaryPids, stablePids, deploying };
  }

  it('carries the release on from its step on restart; the router serves every request meanwhile', async () => {
    const port = new URL(routerUrl).port;
    const load = steadyLoad(Number(port), 'production.hello.localhost');
    const { stable, canary, canaryPids, stablePids, deploying } = await pausedCanary();
    // A person pauses it too: that outlives the restart.
    const pause = await cli('release', 'pause', 'production');
    expect(pause.code, pause.stderr).toBe(0);

    // The router is a process of its own: killing the control plane mid-request loses nothing.
    await killServer();
    const atKill = load.answered();
    const cut = await deploying;
    expect(cut.code).not.toBe(0);
    expect([...canaryPids, ...stablePids].every(running)).toBe(true);
    await until(
      'requests answered while Flowline is down',
      async () => load.answered(),
      (n) => n >= atKill + 20,
    );

    await serve('--router-port', port);
    const resumed = await releaseStatus('production');
    expect(resumed.deployment.status).toBe('running');
    expect(resumed.phase).toBe('step:1');
    expect(resumed.traffic).toEqual([
      { revision: stable, weight: 50 },
      { revision: canary, weight: 50 },
    ]);
    expect(resumed.journal.map((l) => l.message)).toEqual(
      expect.arrayContaining([
        `resumed after a restart at step 2/2 (pause, 50% on ${canary}): still paused until promoted`,
        'still paused, as a person paused it before the restart: `flowline release resume` carries on',
      ]),
    );

    const resume = await cli('release', 'resume', 'production');
    expect(resume.code, resume.stderr).toBe(0);
    const promoted = await cli('release', 'promote', 'production');
    expect(promoted.code, promoted.stderr).toBe(0);
    const done = await until(
      'the release ends',
      () => releaseStatus('production'),
      (r) => r.deployment.status !== 'running',
    );
    expect(done.deployment.status).toBe('succeeded');
    expect(done.traffic).toEqual([{ revision: canary, weight: 100 }]);
    expect(done.journal.map((l) => l.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^resumed after a restart at step 2\/2/), 'succeeded']),
    );
    // The stable revision is retired once the canary takes all traffic: keep the load on until then.
    await until(
      'the stable revision is stopped',
      async () => stablePids.filter(running),
      (left) => left.length === 0,
    );
    const tally = await load.stop();
    expect(tally.failed).toEqual([]);
    expect(tally.refused).toBe(0);
    expect([...tally.ok.keys()].sort()).toEqual([stable, canary].sort());
    const answers = await twenty('production.hello.localhost');
    expect(answers.every((a) => a.status === 200 && a.revision === canary)).toBe(true);
    // The canary's instances were adopted, never restarted.
    expect(pidsOf(canary).sort()).toEqual([...canaryPids].sort());
  }, 120_000);

  it('fails the release safely on restart when the canary died meanwhile: traffic on stable, nothing orphaned', async () => {
    const { stable, canary, canaryPids, stablePids, deploying } = await pausedCanary();

    await killServer();
    const cut = await deploying;
    expect(cut.code).not.toBe(0);
    // The instances outlive the supervisor that was killed; the canary's then die too.
    expect([...canaryPids, ...stablePids].every(running)).toBe(true);
    for (const pgid of groupsOf(canary)) signalGroup(pgid, 'SIGKILL');
    await until(
      "the canary's instances are gone",
      async () => canaryPids.filter(running),
      (left) => left.length === 0,
    );

    await serve();
    const status = await releaseStatus('production');
    expect(status.deployment.status).toBe('failed');
    expect(status.phase).toBeNull();
    expect(status.deployment.reason).toMatch(/^Flowline restarted during the canary/);
    expect(status.deployment.reason).not.toContain('\n');
    expect(status.journal.map((l) => l.message)).toContain(
      `not resumed: 0 of the 2 instances of ${canary} were healthy after the restart`,
    );
    expect(status.traffic).toEqual([{ revision: stable, weight: 100 }]);
    const answers = await twenty('production.hello.localhost');
    expect(answers.every((a) => a.status === 200 && a.revision === stable)).toBe(true);
    // ...and the restarted Flowline adopted the stable instances, unrestarted.
    expect(stablePids.every(running)).toBe(true);
    expect(pidsOf(stable).sort()).toEqual([...stablePids].sort());
  }, 90_000);
});

describe('Flowline killed with SIGKILL during the analysis after a blue-green switch', () => {
  it('does not take the revision for a good one: after the restart its analysis runs again, then it is promoted', async () => {
    const port = new URL(routerUrl).port;
    const load = steadyLoad(Number(port), 'analysed.hello.localhost');
    const following = cli('deploy', 'analysed', '--artifact', await artifactOf('flowline.yaml'));
    await until(
      'the post-promotion analysis',
      () => release('analysed'),
      (r) => r.phase === 'analysis',
      30_000,
    );
    await killServer();
    // The CLI that followed the deploy says the server went away and the outcome is unknown.
    const followed = await following;
    expect(followed.code).toBe(6);
    expect(followed.stderr).toContain('FLOWLINE_SERVER_UNREACHABLE');
    expect(followed.stderr).toContain('went away before the deploy to analysed finished');
    expect(followed.stderr).toContain('The deploy carries on without this client');
    expect(followed.stderr).toContain('`flowline release status analysed -w`');
    expect(followed.stderr).not.toMatch(/^\s+at /m);

    // On the same port, so the load reaches the analysis run again: it judges requests, not silence.
    await serve('--router-port', port);
    const resumed = await release('analysed');
    expect(resumed.deployment.status).toBe('running');
    expect(resumed.journal.map((l) => l.message)).toContainEqual(
      expect.stringMatching(/post-promotion analysis \(slow\) was interrupted by a restart: it runs again/),
    );
    const done = await until(
      'the analysis run again to end',
      () => release('analysed'),
      (r) => r.deployment.status !== 'running',
      60_000,
    );
    const tally = await load.stop();
    expect(done.deployment.status).toBe('succeeded');
    const journal = done.journal.map((l) => l.message);
    const again = journal.findIndex((m) => m.includes('runs again'));
    expect(journal.slice(again + 1).some((m) => m.includes('error-rate'))).toBe(true);
    // The router outlives the killed control plane: every request was answered.
    expect(tally.failed).toEqual([]);
    expect(tally.refused).toBe(0);
    const audit = JSON.parse((await cli('audit', '--action', 'deploy.resume', '--json')).stdout);
    expect(audit.events[0].details).toMatchObject({ analysis: 'post-promotion' });
  }, 120_000);
});

describe('an instance that crashes during a blue-green switch', () => {
  it('fails the deployment in post-promotion analysis and sends traffic back to the healthy blue', async () => {
    const blue = (await release('bluegreen')).traffic[0]?.revision ?? '';
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    let stopped = false;
    const load = (async () => {
      const deadline = Date.now() + 60_000;
      while (!stopped && Date.now() < deadline) {
        await via('bluegreen.hello.localhost', agent);
        await delay(10);
      }
    })();
    const res = await cli('deploy', 'bluegreen', '--artifact', await artifactOf('crash.yaml'));
    stopped = true;
    await load;
    agent.destroy();
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('FLOWLINE_DEPLOY_FAILED');

    const status = await releaseStatus('bluegreen');
    expect(status.deployment.status).toBe('failed');
    // The crash comes 3 s after the start, within the 4.5 s of analysis that follow the switch.
    expect(status.deployment.reason).toMatch(
      /^post-promotion analysis failed: error-rate: errorRate [\d.]+ broke/,
    );
    expect(status.deployment.reason).not.toContain('\n');
    expect(status.traffic).toEqual([{ revision: blue, weight: 100 }]);
    const answers = await twenty('bluegreen.hello.localhost');
    expect(answers.every((a) => a.status === 200 && a.revision === blue)).toBe(true);
  }, 90_000);
});

describe('deploys to one environment requested at the same moment', () => {
  /** POST /v1/deploy as the CLI sends it; resolves with the stream's last line. */
  async function apiDeploy(environment: string): Promise<{ type: string; error?: { code: string } }> {
    const res = await fetch(`${apiUrl}/v1/deploy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'hello', environment }),
    });
    const lines = (await res.text()).trim().split('\n');
    return JSON.parse(lines[lines.length - 1] ?? '{}');
  }

  it('runs exactly one of them and refuses the others, never interleaving', async () => {
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => apiDeploy('race')));
    expect(outcomes.filter((o) => o.type === 'result')).toHaveLength(1);
    const refused = outcomes.filter((o) => o.type === 'error').map((o) => o.error?.code);
    expect(refused).toEqual(Array(4).fill('FLOWLINE_DEPLOY_IN_PROGRESS'));
    const list = JSON.parse((await cli('deployments', '--env', 'race', '--json')).stdout);
    expect(list.deployments.map((d: { status: string }) => d.status)).toEqual(['succeeded']);
    const answers = await twenty('race.hello.localhost');
    expect(answers.every((a) => a.status === 200)).toBe(true);
  }, 60_000);
});
