import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream, type SseStream } from './flags-helpers.js';
import {
  type ExampleRepo,
  exampleRepo,
  runCli,
  type Served,
  serveExample,
  stopStartedProcesses,
} from './helpers.js';

// Read your writes against a real `flowline serve` (built CLI): a flag command returns only once
// the server's evaluate and flag-set endpoints serve the change, through the embedded CLI (which
// writes the store the server reads) and through the API alike. Each flip is followed at once by
// an evaluation: it must never see the answer from before the flip.

const SET = '/v1/flags/hello/staging';
const FLIPS = 8;

let example: ExampleRepo;
let served: Served;
let clientToken: string;
let deployToken: string;
let stream: SseStream;

const cli = (args: string[], env: Record<string, string> = example.env) =>
  runCli(args, { cwd: example.repo, env });

async function createToken(name: string, role: string): Promise<string> {
  const res = await cli(['token', 'create', name, '--role', role, '--env', 'staging', '--json']);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout).secret;
}

/** What the evaluate endpoint answers for one user, with the version it answered from. */
async function evaluate() {
  const res = await fetch(`${served.apiUrl}${SET}/evaluate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${clientToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ flag: 'checkout', context: { targetingKey: 'user-42' } }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { reason: string; flagMetadata?: { killed?: boolean } };
  return { ...body, version: Number(res.headers.get('x-flowline-flags-version')) };
}

/** The version the flag-set endpoint serves. */
async function servedVersion(): Promise<number> {
  const res = await fetch(served.apiUrl + SET, { headers: { authorization: `Bearer ${clientToken}` } });
  return ((await res.json()) as { version: number }).version;
}

/** Runs a flag command with --json and answers the version it wrote. */
async function flip(args: string[], env?: Record<string, string>): Promise<number> {
  const res = await cli(['flags', ...args, 'checkout', '--env', 'staging', '--json'], env);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout).version;
}

beforeAll(async () => {
  example = await exampleRepo('flowline-ryw-', {});
  served = await serveExample(example);
  clientToken = await createToken('web', 'client');
  deployToken = await createToken('ci', 'deploy');
  const flag = {
    type: 'string',
    variants: { a: 'A', b: 'B' },
    defaultVariant: 'a',
    enabled: true,
    fallthrough: {
      rollout: {
        split: [
          { variant: 'a', weight: 50 },
          { variant: 'b', weight: 50 },
        ],
      },
    },
  };
  await writeFile(path.join(example.repo, 'checkout.json'), JSON.stringify(flag));
  const set = await cli(['flags', 'set', 'checkout', '--env', 'staging', '--file', 'checkout.json']);
  expect(set.code, set.stderr).toBe(0);
  stream = await openStream(`${served.apiUrl}${SET}/stream`, clientToken);
  await stream.next();
}, 120_000);

afterAll(async () => {
  stream?.close();
  await stopStartedProcesses();
  await example?.dispose();
});

describe('a flag command returns once the server serves the change', () => {
  it('through the embedded CLI on the server store: disable and enable, each evaluated at once', async () => {
    for (let i = 0; i < FLIPS; i++) {
      const disabled = await flip(['disable']);
      const afterDisable = await evaluate();
      expect(afterDisable.reason).toBe('DISABLED');
      expect(afterDisable.version).toBeGreaterThanOrEqual(disabled);
      expect(await servedVersion()).toBeGreaterThanOrEqual(disabled);

      const enabled = await flip(['enable']);
      const afterEnable = await evaluate();
      expect(afterEnable.reason).toBe('SPLIT');
      expect(afterEnable.version).toBeGreaterThanOrEqual(enabled);
    }
  }, 180_000);

  it('through the API with a deploy token: kill and unkill, each evaluated at once', async () => {
    const remote = { FLOWLINE_URL: served.apiUrl, FLOWLINE_TOKEN: deployToken };
    await flip(['enable'], remote); // whatever the test before left
    for (let i = 0; i < FLIPS; i++) {
      const killed = await flip(['kill'], remote);
      const afterKill = await evaluate();
      expect(afterKill).toMatchObject({ reason: 'DISABLED', flagMetadata: { killed: true } });
      expect(afterKill.version).toBeGreaterThanOrEqual(killed);

      const unkilled = await flip(['unkill'], remote);
      const afterUnkill = await evaluate();
      expect(afterUnkill.reason).toBe('SPLIT');
      expect(afterUnkill.version).toBeGreaterThanOrEqual(unkilled);
    }
  }, 180_000);

  it('and a connected stream subscriber received the changes in order, up to the last one', async () => {
    const last = await servedVersion();
    const ids: number[] = [];
    while (ids.at(-1) !== last) ids.push(Number((await stream.next(5000)).id));
    expect(ids).toEqual(ids.toSorted((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
