import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliProcess,
  type CliResult,
  type ExampleRepo,
  exampleRepo,
  type RoutedAnswer,
  readDb,
  recordedPids,
  routedHello,
  runCli,
  running,
  serveExample,
  until,
} from './helpers.js';

/**
 * Releases under faults, with real processes: Flowline killed with SIGKILL in the middle of a
 * canary and restarted on the same home, an instance crashing during a blue-green switch, and
 * two deploys racing for one environment. Each must end in a defined state with traffic on
 * healthy instances.
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
  return `version: 1
service: hello
build:
  command: node scripts/build.js
  inputs: ["src/**", "scripts/build.js", "package.json"]
  output: dist
run:
  command: node server.js
  port: { env: PORT }
  instances: 1
  health: { path: /healthz, interval: 200ms, timeout: 1s, startPeriod: 10s }
  shutdown: { gracePeriod: 2s }
environments:
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
analysis:
  templates:
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

async function serve(): Promise<void> {
  ({ server, routerUrl, apiUrl, secret } = await serveExample(example));
}

function via(host: string, agent?: http.Agent): Promise<Answer> {
  return routedHello(routerUrl, host, agent);
}

async function twenty(host: string): Promise<Answer[]> {
  return Promise.all(Array.from({ length: 20 }, () => via(host)));
}

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

beforeAll(async () => {
  example = await exampleRepo('flowline-release-faults-', {
    'flowline.yaml': config(),
    'crash.yaml': config(true),
  });
  ({ repo, env } = example);
  const built = await cli('run', '--json');
  expect(built.code, built.stderr).toBe(0);
  await serve();
  for (const environment of ['production', 'bluegreen']) {
    const first = await cli('deploy', environment);
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
  it('fails the release safely on restart: traffic on stable, the canary stopped, nothing orphaned', async () => {
    const stable = (await release('production')).traffic[0]?.revision ?? '';
    const deploying = cli('deploy', 'production');
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

    server.child.kill('SIGKILL');
    const cut = await deploying;
    expect(cut.code).not.toBe(0);
    // The instances outlive the supervisor that was killed...
    expect([...canaryPids, ...stablePids].every(running)).toBe(true);

    await serve();
    const status = await releaseStatus('production');
    expect(status.deployment.status).toBe('failed');
    expect(status.phase).toBeNull();
    expect(status.deployment.reason).toMatch(/^Flowline restarted during the canary/);
    expect(status.deployment.reason).not.toContain('\n');
    expect(status.traffic).toEqual([{ revision: stable, weight: 100 }]);
    const answers = await twenty('production.hello.localhost');
    expect(answers.every((a) => a.status === 200 && a.revision === stable)).toBe(true);
    // ...the restarted Flowline stopped the canary's and adopted the stable ones, unrestarted.
    expect(canaryPids.filter(running)).toEqual([]);
    expect(stablePids.every(running)).toBe(true);
    expect(pidsOf(stable).sort()).toEqual([...stablePids].sort());
  }, 90_000);
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
    const res = await cli('deploy', 'bluegreen', '--config', 'crash.yaml');
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
      body: JSON.stringify({ config: config(), environment }),
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
