import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

/**
 * The server goes away while the built CLI is following an operation: a real HTTP server on
 * loopback writes the start of an answer, then cuts the connection. The CLI must say the outcome
 * is unknown and how to check it (FLOWLINE_SERVER_UNREACHABLE, exit 6), never crash with a stack.
 */

/** How the scripted server ends an answer. */
type Ending = 'destroy' | 'end';

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: http.Server;
let url: string;
/** What the server does per `METHOD path` (without the query); unknown routes answer 404. */
const routes = new Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>();

/** One NDJSON progress line, then the connection is destroyed (or the stream ends cleanly). */
const progressThen = (ending: Ending) => (req: http.IncomingMessage, res: http.ServerResponse) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  res.write(`${JSON.stringify({ type: 'progress', line: 'starting 2 instances of the new revision' })}\n`);
  // Half a line too: a line cut mid-way must not be parsed.
  res.write('{"type":"result","res', () => {
    if (ending === 'destroy') req.socket.destroy();
    else res.end();
  });
};

beforeAll(async () => {
  dir = await tempDir('flowline-dropped-');
  await writeFile(path.join(dir.path, 'flowline.yaml'), 'version: 1\nservice: hello\n');
  server = http.createServer((req, res) => {
    const handler = routes.get(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    if (handler !== undefined) return handler(req, res);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'FLOWLINE_NOT_FOUND', message: 'no such route' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await dir.dispose();
});

const cli = (args: readonly string[]) =>
  runCli(args, { cwd: dir.path, env: { FLOWLINE_URL: url, FLOWLINE_TOKEN: 'flt_test' } });

/** Exit 6 with the code, the given words, and no stack trace or internal error. */
function expectUnreachable(res: Awaited<ReturnType<typeof cli>>, ...words: string[]): void {
  expect({ code: res.code, stderr: res.stderr }).toMatchObject({ code: 6 });
  expect(res.stderr).toContain('FLOWLINE_SERVER_UNREACHABLE');
  for (const word of words) expect(res.stderr).toContain(word);
  expect(res.stderr).not.toMatch(/^\s+at /m);
  expect(res.stderr).not.toContain('TypeError');
  expect(res.stderr).not.toContain('FLOWLINE_INTERNAL');
}

describe('a streamed operation whose connection drops', () => {
  it('deploy: exit 6, the outcome unknown, how to check it', async () => {
    routes.set('POST /v1/deploy', progressThen('destroy'));
    const res = await cli(['deploy', 'staging']);
    expectUnreachable(
      res,
      'starting 2 instances', // the progress seen before the drop is still shown
      'went away before the deploy to staging finished',
      'its outcome is unknown here',
      'The deploy carries on without this client',
      'resumes it, or fails it safely',
      '`flowline release status staging -w`',
      '`flowline deployments --env staging`',
    );
  });

  it('deploy: the same when the stream ends without its last line', async () => {
    routes.set('POST /v1/deploy', progressThen('end'));
    expectUnreachable(await cli(['deploy', 'staging']), 'its outcome is unknown');
  });

  it('deploy --json: the error as JSON on stdout', async () => {
    routes.set('POST /v1/deploy', progressThen('destroy'));
    const res = await cli(['deploy', 'staging', '--json']);
    expect(res.code).toBe(6);
    expect(JSON.parse(res.stdout)).toMatchObject({ error: { code: 'FLOWLINE_SERVER_UNREACHABLE' } });
  });

  it('deploy: a connection reset before any answer leaves the outcome unknown too', async () => {
    routes.set('POST /v1/deploy', (req) => {
      req.resume();
      req.socket.destroy();
    });
    expectUnreachable(await cli(['deploy', 'staging']), 'its outcome is unknown');
  });

  it('rollback', async () => {
    routes.set('POST /v1/rollback', progressThen('destroy'));
    expectUnreachable(
      await cli(['rollback', 'production']),
      'the rollback of production',
      'The rollback carries on',
      '`flowline release status production -w`',
    );
  });

  it('env create', async () => {
    routes.set('POST /v1/environments', progressThen('destroy'));
    expectUnreachable(await cli(['env', 'create', '--pr', '12']), 'the preview pr-12', '`flowline env list`');
  });

  it('env delete', async () => {
    routes.set('DELETE /v1/environments/hello/pr-12', progressThen('destroy'));
    expectUnreachable(await cli(['env', 'delete', 'pr-12']), 'the deletion of pr-12', '`flowline env list`');
  });
});

describe('a followed read whose connection drops', () => {
  it('release status -w: an answer cut mid-body is a server gone away; it reads again and follows on', async () => {
    let reads = 0;
    routes.set('GET /v1/releases/hello/staging', (req, res) => {
      req.resume();
      reads++;
      if (reads === 1) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
        res.write('{"deployment":{"id":"dep_1"', () => req.socket.destroy());
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          deployment: {
            id: 'dep_1',
            service: 'hello',
            environment: 'staging',
            artifactId: `sha256:${'a'.repeat(64)}`,
            strategy: 'canary',
            status: 'succeeded',
            reason: null,
          },
          phase: null,
          traffic: [{ revision: 'aaaaaaaa-0001', weight: 100 }],
          host: 'staging.hello.localhost',
          url: 'http://staging.hello.localhost:8080/',
          journal: [{ at: '2026-01-01T00:00:01.000Z', kind: 'decision', message: 'succeeded' }],
        }),
      );
    });
    const res = await cli(['release', 'status', 'staging', '-w']);
    expect({ code: res.code, stderr: res.stderr }).toMatchObject({ code: 0 });
    expect(res.stderr).toContain('server went away; reconnecting for up to 2m');
    expect(res.stderr).toContain('reconnected: following the release again');
    expect(res.stdout).toContain('http://staging.hello.localhost:8080/');
    expect(res.stdout).toContain('00:00:01 succeeded');
    expect(reads).toBe(2);
  });

  it('logs --follow: the server gone between two polls', async () => {
    let polls = 0;
    routes.set('GET /v1/runs/run_1', (req, res) => {
      req.resume();
      polls++;
      if (polls > 1) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          run: { id: 'run_1', status: 'running' },
          stages: [{ name: 'test', status: 'running' }],
        }),
      );
    });
    routes.set('GET /v1/runs/run_1/stages/test/log', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ lines: [], offset: 0 }));
    });
    const res = await cli(['logs', 'run_1', '--follow']);
    expectUnreachable(res);
    expect(polls).toBe(2);
  });
});
