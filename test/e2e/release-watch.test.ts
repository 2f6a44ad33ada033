import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifactsBuiltBy,
  type CliProcess,
  type CliResult,
  type ExampleRepo,
  exampleRepo,
  HELLO_SERVICE,
  runCli,
  type Served,
  serveExample,
  startCli,
  until,
} from './helpers.js';

/**
 * `flowline release status <env> -w` through a restart of the server, with real processes: a
 * canary waits in a pause, `flowline serve` is killed with SIGKILL and started again on the same
 * home and ports, and the watchers (one embedded, one against the server's URL with a token) say
 * the server went away, reconnect by themselves and follow the release to its end, showing each
 * journal line once. The client that followed the deploy itself says the release carries on.
 */

const CONFIG = `${HELLO_SERVICE}environments:
  production:
    strategy:
      canary:
        steps:
          - setWeight: 50
          - pause: {}
`;

interface Release {
  deployment: { id: string; status: string };
  phase: string | null;
  journal: { message: string }[];
}

let example: ExampleRepo;
let served: Served;

const cli = (...args: string[]): Promise<CliResult> => runCli(args, { cwd: example.repo, env: example.env });
const artifactOf = artifactsBuiltBy(cli);

async function release(): Promise<Release> {
  const res = await fetch(`${served.apiUrl}/v1/releases/hello/production?lines=500`, {
    headers: { authorization: `Bearer ${served.secret}` },
  });
  return (await res.json()) as Release;
}

/** Resolves with the exit code once a started CLI process ends. */
function exitOf(process: CliProcess): Promise<number | null> {
  const { child } = process;
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** The journal lines a watcher printed (`HH:MM:SS message`), in order. */
function journalShown(output: string): string[] {
  return output
    .split('\n')
    .map((l) => /^\d\d:\d\d:\d\d (.*)$/.exec(l)?.[1])
    .filter((m): m is string => m !== undefined);
}

beforeAll(async () => {
  example = await exampleRepo('flowline-release-watch-', { 'flowline.yaml': CONFIG });
  await artifactOf();
  served = await serveExample(example);
  const first = await cli('deploy', 'production', '--artifact', await artifactOf());
  expect(first.code, first.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  if (served !== undefined) expect(await served.server.stop()).toBe(0);
  await example?.dispose();
});

describe('release status -w across a restart of the server', () => {
  it('says the server went away, reconnects by itself and follows the release to its end, each line once', async () => {
    const token = await cli('token', 'create', 'watcher', '--role', 'read', '--json');
    expect(token.code, token.stderr).toBe(0);
    const deploying = cli('deploy', 'production', '--artifact', await artifactOf());
    await until(
      'the canary pauses',
      () => release(),
      (r) => r.phase === 'step:1',
    );
    const watch = ['release', 'status', 'production', '-w'];
    const ready = /running \(step:1\)/;
    const embedded = await startCli(watch, ready, { cwd: example.repo, env: example.env });
    const remote = await startCli(watch, ready, {
      cwd: example.repo,
      env: { FLOWLINE_URL: served.apiUrl, FLOWLINE_TOKEN: JSON.parse(token.stdout).secret },
    });
    // --json follows without printing, then prints the ended release as one document: it says
    // nothing before the server goes away, so it counts as started once it says that.
    const jsonStarted = startCli([...watch, '--json'], /server went away; reconnecting/, {
      cwd: example.repo,
      env: example.env,
    });

    const exited = new Promise((resolve) => served.server.child.once('exit', resolve));
    served.server.child.kill('SIGKILL');
    await exited;
    // The client following the deploy: the server went away, the release carries on, how to follow it.
    const cut = await deploying;
    expect(cut.code).toBe(6);
    expect(cut.stderr).toContain('FLOWLINE_SERVER_UNREACHABLE');
    expect(cut.stderr).toContain('went away before the deploy to production finished');
    expect(cut.stderr).toContain('The deploy carries on without this client');
    expect(cut.stderr).toContain('`flowline release status production -w`');
    const json = await jsonStarted;
    for (const watcher of [embedded, remote]) {
      await until(
        'the watcher notices',
        async () => watcher.output(),
        (text) => text.includes('server went away; reconnecting'),
      );
      expect(watcher.child.exitCode).toBeNull();
    }

    // The same home and ports: the URL the remote watcher uses still holds.
    served = await serveExample(example, [
      '--port',
      new URL(served.apiUrl).port,
      '--router-port',
      new URL(served.routerUrl).port,
    ]);
    for (const watcher of [embedded, remote]) {
      await until(
        'the watcher is back',
        async () => watcher.output(),
        (text) => text.includes('reconnected: following the release again'),
      );
    }
    const promoted = await cli('release', 'promote', 'production');
    expect(promoted.code, promoted.stderr).toBe(0);

    const codes = await Promise.all([exitOf(embedded), exitOf(remote), exitOf(json)]);
    expect(codes).toEqual([0, 0, 0]);
    const ended = JSON.parse(json.output().slice(json.output().indexOf('\n{') + 1)) as Release;
    expect(ended).toMatchObject({ deployment: { status: 'succeeded' }, phase: null });
    const journal = (await release()).journal.map((l) => l.message);
    expect(journal).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^resumed after a restart at step 2\/2/),
        expect.stringMatching(/^✔ promoted/),
        'succeeded',
      ]),
    );
    for (const watcher of [embedded, remote]) {
      const output = watcher.output();
      // Every journal line, in order, none twice: across the outage too.
      expect(journalShown(output)).toEqual(journal);
      expect(output.split('server went away; reconnecting')).toHaveLength(2);
      expect(output.split('reconnected: following the release again')).toHaveLength(2);
      expect(output.trimEnd().endsWith('\nsucceeded')).toBe(true);
      expect(output).not.toContain('FLOWLINE_INTERNAL');
    }
  }, 120_000);
});
