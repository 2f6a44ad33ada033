import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifactsBuiltBy,
  type CliProcess,
  type CliResult,
  type ExampleRepo,
  exampleRepo,
  routedHello,
  runCli,
  serveExample,
} from './helpers.js';

/**
 * A real canary of the example service fails its analysis (its instances answer half their
 * requests with 500 under a bounded load through the router): `flowline serve` rolls it back and
 * opens an incident from `analysis` linked by record to that deployment; the deployment says it
 * failed its analysis; a deployment made while that incident is open is unplanned (`incident`).
 * Everything is read back through the built CLI's `--json`, as a user would.
 */

function config(fault: boolean): string {
  const env = fault ? '\n    env: { FAULT_ERROR_RATE: "0.5" }' : '';
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
  production:${env}
    strategy:
      canary:
        steps:
          - setWeight: 50
          - analysis: { templates: [{ templateName: errors }] }
analysis:
  templates:
    errors:
      metrics:
        - name: error-rate
          initialDelay: 500ms
          interval: 250ms
          count: 4
          successCondition: result < 0.05
          failureLimit: 0
          provider:
            router: { signal: errorRate, window: 2s }
`;
}

interface Incident {
  id: string;
  source: string;
  status: string;
  openedBy: string;
  cause: { kind: string; id: string; inferred: boolean } | null;
}
interface Deployment {
  id: string;
  status: string;
  outcome: string;
  unplannedReason: string | null;
  servedAt: string | null;
}

let example: ExampleRepo;
let server: CliProcess;
let routerUrl: string;

const cli = (...args: string[]): Promise<CliResult> => runCli(args, { cwd: example.repo, env: example.env });
const artifactOf = artifactsBuiltBy(cli);

async function json<T>(...args: string[]): Promise<T> {
  const res = await cli(...args, '--json');
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as T;
}
const incidents = async () => (await json<{ incidents: Incident[] }>('incident', 'list', '--all')).incidents;
const deployments = async () => (await json<{ deployments: Deployment[] }>('deployments')).deployments;

/** Bounded traffic through the router while `work` runs, so the analysis has requests to judge. */
async function underLoad<T>(work: Promise<T>): Promise<T> {
  let done = false;
  const deadline = Date.now() + 60_000;
  const loop = async () => {
    while (!done && Date.now() < deadline) {
      await routedHello(routerUrl, 'production.hello.localhost');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const loops = Promise.all([loop(), loop()]);
  try {
    return await work;
  } finally {
    done = true;
    await loops;
  }
}

beforeAll(async () => {
  example = await exampleRepo('flowline-release-incidents-', {
    'flowline.yaml': config(false),
    'bad.yaml': config(true),
  });
  await artifactOf('flowline.yaml');
  await artifactOf('bad.yaml');
  ({ server, routerUrl } = await serveExample(example));
  const first = await cli('deploy', 'production', '--artifact', await artifactOf('flowline.yaml'));
  expect(first.code, first.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  if (server !== undefined) expect(await server.stop()).toBe(0);
  await example?.dispose();
});

describe('a canary that fails its analysis', () => {
  it('opens an incident from analysis caused by that deployment; the next deployment during it is unplanned', async () => {
    expect(await incidents()).toEqual([]);
    const bad = await underLoad(cli('deploy', 'production', '--artifact', await artifactOf('bad.yaml')));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('FLOWLINE_DEPLOY_FAILED');

    const [failed, first] = await deployments();
    expect(first).toMatchObject({ status: 'succeeded', outcome: 'succeeded', unplannedReason: null });
    expect(failed).toMatchObject({
      status: 'failed',
      outcome: 'failedAnalysis',
      servedAt: expect.any(String),
    });
    const [incident, ...others] = await incidents();
    expect(others).toEqual([]);
    expect(incident).toMatchObject({
      source: 'analysis',
      status: 'open',
      openedBy: 'flowline',
      cause: { kind: 'deployment', id: failed?.id, inferred: false },
    });

    // The fix goes out while the incident is open: unplanned, for the incident.
    const fix = await underLoad(cli('deploy', 'production', '--artifact', await artifactOf('flowline.yaml')));
    expect(fix.code, fix.stderr).toBe(0);
    expect((await deployments())[0]).toMatchObject({ outcome: 'succeeded', unplannedReason: 'incident' });

    const resolved = await cli('incident', 'resolve', incident?.id ?? '', '--json');
    expect(resolved.code, resolved.stderr).toBe(0);
    const planned = await underLoad(
      cli('deploy', 'production', '--artifact', await artifactOf('flowline.yaml')),
    );
    expect(planned.code, planned.stderr).toBe(0);
    expect((await deployments())[0]).toMatchObject({ outcome: 'succeeded', unplannedReason: null });
    expect(await incidents()).toHaveLength(1);
  }, 180_000);
});
