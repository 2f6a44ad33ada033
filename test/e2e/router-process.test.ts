import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/runtime/index.js';
import {
  type CliProcess,
  type ExampleRepo,
  exampleRepo,
  HELLO_BUILD,
  routedHello,
  runCli,
  running,
  serveExample,
  until,
} from './helpers.js';

/**
 * The router is a process of its own (docs/adr/0011-router-process.md): `flowline serve` starts it,
 * adopts it after a crash or a `--keep-instances` stop, and stops it on a plain graceful stop.
 * Load runs through it all the while; nothing it answers may fail while it lives.
 */

const CONFIG = `${HELLO_BUILD}run:
  command: node server.js
  port: { env: PORT }
  instances: 1
  health: { path: /healthz, interval: 200ms, timeout: 1s, startPeriod: 10s }
  shutdown: { gracePeriod: 1s }
environments:
  production:
    strategy: { blueGreen: { scaleDownDelay: 0s } }
`;

let example: ExampleRepo;
let server: CliProcess | undefined;
let routerUrl = '';
let apiPort = '';

async function serve(...extra: string[]): Promise<CliProcess> {
  const served = await serveExample(example, [...(apiPort === '' ? [] : ['--port', apiPort]), ...extra]);
  ({ server, routerUrl } = served);
  return served.server;
}

async function routerPid(): Promise<number> {
  const info = JSON.parse(await readFile(path.join(example.env.FLOWLINE_HOME ?? '', 'router.json'), 'utf8'));
  return (info as { pid: number }).pid;
}

/** Requests through the router one after another until stopped; every answer that is not a 200 counts. */
function load(host: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const failed: string[] = [];
  let answered = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const answer = await routedHello(routerUrl, host, agent).catch((error: Error) => ({
        status: 0,
        revision: error.message,
      }));
      if (answer.status === 200) answered += 1;
      else failed.push(`${answer.status} ${answer.revision}`);
      await delay(5);
    }
  })();
  return {
    answered: () => answered,
    async stop() {
      stopped = true;
      await loop;
      agent.destroy();
      return failed;
    },
  };
}

beforeAll(async () => {
  example = await exampleRepo('flowline-router-process-', { 'flowline.yaml': CONFIG });
  const built = await runCli(['run', '--json'], { cwd: example.repo, env: example.env });
  expect(built.code, built.stderr).toBe(0);
  await serve('--router-port', '0', '--keep-instances');
  apiPort = new URL(
    JSON.parse(await readFile(path.join(example.env.FLOWLINE_HOME ?? '', 'daemon.json'), 'utf8')).apiUrl,
  ).port;
  const deployed = await runCli(['deploy', 'production'], { cwd: example.repo, env: example.env });
  expect(deployed.code, deployed.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  if (server !== undefined) expect(await server.stop()).toBe(0);
  await example?.dispose();
});

describe('the router process', () => {
  it('goes on serving while flowline serve is stopped with --keep-instances, and is adopted by the next start', async () => {
    const pid = await routerPid();
    const traffic = load('production.hello.localhost');
    await until(
      'some answers',
      async () => traffic.answered(),
      (n) => n > 10,
    );
    expect(await server?.stop()).toBe(0); // started with --keep-instances
    server = undefined;
    const whileDown = traffic.answered();
    await until(
      'answers while no control plane runs',
      async () => traffic.answered(),
      (n) => n > whileDown + 20,
    );
    expect(running(pid)).toBe(true);
    const adopting = await serve('--router-port', new URL(routerUrl).port);
    expect(adopting.output()).toContain(`adopted the router (pid ${pid}`);
    expect(await traffic.stop()).toEqual([]);
  }, 90_000);

  it('is stopped by a plain stop; a new one gets every route before it listens, and is replaced when asked for another port', async () => {
    const before = await routerPid();
    expect(await server?.stop()).toBe(0);
    server = undefined;
    expect(running(before)).toBe(false); // a plain stop stops the router too
    const starting = await serve('--router-port', '0', '--keep-instances');
    const fresh = await routerPid();
    expect(fresh).not.toBe(before);
    expect(starting.output()).toContain(`started the router (pid ${fresh})`);
    expect((await routedHello(routerUrl, 'production.hello.localhost')).status).toBe(200);

    expect(await starting.stop()).toBe(0);
    server = undefined;
    expect(running(fresh)).toBe(true);
    const port = String(await freePort());
    const replacing = await serve('--router-port', port);
    expect(replacing.output()).toContain(`replacing the router (pid ${fresh}): it listens on`);
    expect(running(fresh)).toBe(false);
    expect(new URL(routerUrl).port).toBe(port);
    expect((await routedHello(routerUrl, 'production.hello.localhost')).status).toBe(200);
  }, 60_000);
});
