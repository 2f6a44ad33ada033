import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../src/app/api.js';
import { createFlowline, type Flowline } from '../../src/app/flowline.js';
import { newId } from '../../src/core/ids.js';
import { loadSettings } from '../../src/core/settings.js';
import type { Listening } from '../../src/server/index.js';
import { runCli, tempDir } from '../e2e/helpers.js';

// Attack: text recorded by whoever may write to Flowline (a CI machine recording a run, a reader
// pulling the andon cord) carries terminal control sequences. Shown raw, it retitles the
// reader's terminal, moves the cursor over earlier lines, or reorders a line, and so fakes
// output such as "✔ all tests passed". The refusal: the CLI (built, as a child process) shows
// such text escaped, against a real server on loopback and against the store directly.

const HOST = 'ci\x1b]0;owned\x07'; // sets the terminal's title, ends with BEL
const FAKE = '\x1b[1A\x1b[2K\x1b[32m✔ all tests passed\x1b[0m'; // over the line above, in green
const BIDI = 'main\u202edecnac'; // reads "main cancel…" backwards
const C1 = 'x\x9b2Jy'; // CSI as one C1 character: clears the screen on some terminals

/** Bytes that must never reach the terminal from recorded text: ESC, BEL, CSI (C1), RLO. */
const FORBIDDEN = ['\x1b', '\x07', '\x9b', '\u202e'];

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Flowline;
let api: Listening;
let admin = '';
let reader = '';
const runId = newId('run');

beforeAll(async () => {
  dir = await tempDir('flowline-terminal-');
  server = await createFlowline(loadSettings({ FLOWLINE_HOME: path.join(dir.path, 'server') }, dir.path));
  api = await startApi(server, { port: 0, host: '127.0.0.1' });
  admin = (await server.tokens.create({ name: 'ci', role: 'admin' }, server.localActor)).secret;
  reader = (await server.tokens.create({ name: 'reader', role: 'read' }, server.localActor)).secret;

  // A CI machine records a run with a hostile host and branch, and a hostile log.
  const started = await call('POST', '/v1/runs', admin, {
    id: runId,
    service: 'shop',
    branch: BIDI,
    commit: null,
    where: { host: HOST },
    startedAt: new Date().toISOString(),
    nodes: [{ name: 'unit', kind: 'stage' }],
  });
  expect(started.status).toBe(201);
  const log = `+0.001s running 12 tests\n+0.002s ${FAKE}\n+0.003s col1\tcol2 ${C1}\n`;
  const appended = await call('POST', `/v1/runs/${runId}/stages/unit/log?offset=0`, admin, log, 'text/plain');
  expect(appended.status).toBe(200);
  // Anyone who reads may pull the cord, with a reason of their choosing.
  const pulled = await call('POST', '/v1/andon/shop/pull', reader, { reason: `${FAKE} ${BIDI}` });
  expect(pulled.status).toBe(200);
});

afterAll(async () => {
  await api?.close();
  await server?.close();
  await dir?.dispose();
});

async function call(method: string, route: string, token: string, body: unknown, type = 'application/json') {
  const res = await fetch(api.url + route, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.text() };
}

/** The CLI against the server (or, with `embedded`, against the server's store directly). */
function flowline(args: string[], embedded = false) {
  return runCli(args, {
    cwd: dir.path,
    env: embedded
      ? { FLOWLINE_HOME: path.join(dir.path, 'server') }
      : { FLOWLINE_URL: api.url, FLOWLINE_TOKEN: admin, FLOWLINE_HOME: path.join(dir.path, 'cli') },
  });
}

function expectNoControl(output: string): void {
  for (const char of FORBIDDEN)
    expect({ output, char, found: output.includes(char) }).toMatchObject({ found: false });
}

describe('recorded text with terminal control sequences', () => {
  it('is shown escaped by `flowline runs`, from the server and from the store', async () => {
    for (const embedded of [false, true]) {
      const res = await flowline(['runs'], embedded);
      expect(res.code).toBe(0);
      expectNoControl(res.stdout + res.stderr);
      expect(res.stdout).toContain('main\\u202edecnac');
      expect(res.stdout).toContain('ci\\x1b]0;owned\\x07');
      expect(res.stdout).toContain(runId);
    }
  });

  it('is shown escaped by `flowline audit`, where the host of the recorded run reads as written', async () => {
    for (const embedded of [false, true]) {
      const res = await flowline(['audit'], embedded);
      expect(res.code).toBe(0);
      expectNoControl(res.stdout + res.stderr);
      expect(res.stdout).toContain('ci\\x1b]0;owned\\x07');
    }
  });

  it('is shown escaped by `flowline andon status`, and the fake line is no line of its own', async () => {
    const res = await flowline(['andon', 'status']);
    expect(res.code).toBe(0);
    expectNoControl(res.stdout);
    expect(res.stdout).toContain('\\x1b[1A\\x1b[2K\\x1b[32m✔ all tests passed\\x1b[0m main\\u202edecnac');
    expect(res.stdout.split('\n').some((line) => line.startsWith('✔'))).toBe(false);
  });

  it('is shown escaped by `flowline logs`, tabs kept; `--raw` prints the stored bytes', async () => {
    for (const embedded of [false, true]) {
      const safe = await flowline(['logs', runId, 'unit'], embedded);
      expect(safe.code).toBe(0);
      expectNoControl(safe.stdout + safe.stderr);
      expect(safe.stdout).toBe(
        'running 12 tests\n' +
          '\\x1b[1A\\x1b[2K\\x1b[32m✔ all tests passed\\x1b[0m\n' +
          'col1\tcol2 x\\x9b2Jy\n',
      );
    }
    const raw = await flowline(['logs', runId, 'unit', '--raw']);
    expect(raw.code).toBe(0);
    expect(raw.stdout).toBe(`running 12 tests\n${FAKE}\ncol1\tcol2 ${C1}\n`);
  });

  it('reaches --json intact and JSON-escaped, C1 and bidi controls included', async () => {
    const runs = await flowline(['runs', '--json']);
    expectNoControl(runs.stdout);
    const run = (
      JSON.parse(runs.stdout) as { runs: { id: string; branch: string; where: unknown }[] }
    ).runs.find((r) => r.id === runId);
    expect(run).toMatchObject({ branch: BIDI, where: { host: HOST } });

    const logs = await flowline(['logs', runId, 'unit', '--json']);
    expectNoControl(logs.stdout);
    const stages = (JSON.parse(logs.stdout) as { stages: { lines: { text: string }[] }[] }).stages;
    expect(stages[0]?.lines.map((line) => line.text)).toEqual(['running 12 tests', FAKE, `col1\tcol2 ${C1}`]);
  });

  it('is escaped inside error messages, which quote what the user or the server said', async () => {
    const res = await flowline(['logs', runId, `unit${FAKE}`]);
    expect(res.code).toBe(3);
    expectNoControl(res.stdout + res.stderr);
    expect(res.stderr).toContain('unit\\x1b[1A');
  });

  it('refuses --raw with --json, which already carries the exact text', async () => {
    const res = await flowline(['logs', runId, '--raw', '--json']);
    expect(res.code).toBe(2);
    expect(JSON.parse(res.stdout)).toMatchObject({ error: { code: 'FLOWLINE_USAGE' } });
  });
});
