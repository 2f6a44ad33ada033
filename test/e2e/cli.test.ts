import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson, GENESIS_HASH, parseAnchorFile } from '../../src/audit/index.js';
import type { AuditEventRow } from '../../src/store/index.js';
import { EXAMPLE_CONFIG, runCli, startCli, tempDir } from './helpers.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let env: Record<string, string>;

beforeEach(async () => {
  dir = await tempDir();
  env = { FLOWLINE_HOME: path.join(dir.path, 'state') };
});
afterEach(async () => {
  await dir.dispose();
});

describe('flowline --help', () => {
  it('lists the commands and documents exit codes', async () => {
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    for (const command of ['init', 'validate', 'schema', 'serve', 'token', 'audit', 'whoami']) {
      expect(res.stdout).toContain(command);
    }
    expect(res.stdout).toContain('Exit codes');
  });

  it('answers --help on every command', async () => {
    const commands = [
      ['init'],
      ['validate'],
      ['schema'],
      ['serve'],
      ['token'],
      ['token', 'create'],
      ['token', 'list'],
      ['token', 'revoke'],
      ['audit'],
      ['audit', 'verify'],
      ['audit', 'head'],
      ['services'],
      ['env', 'list'],
      ['whoami'],
      ['demo'],
    ];
    for (const command of commands) {
      const res = await runCli([...command, '--help']);
      expect({ command, code: res.code }).toEqual({ command, code: 0 });
      expect(res.stdout).toContain('Usage: flowline');
    }
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await runCli(['deploi'])).code).toBe(2);
    expect((await runCli(['token', 'list', '--colour'])).code).toBe(2);
  });
});

describe('flowline validate', () => {
  it('accepts the example service', async () => {
    const res = await runCli(['validate', EXAMPLE_CONFIG]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('is valid');
  });

  it('reports every problem with file:line:col and exits 2', async () => {
    const file = path.join(dir.path, 'flowline.yaml');
    await writeFile(file, 'version: 1\nservice: hello\nstagse: {}\nrun:\n  command: 5\n');
    const res = await runCli(['validate', 'flowline.yaml'], { cwd: dir.path });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('flowline.yaml:3:1');
    expect(res.stderr).toMatch(/did you mean `stages`/);
    expect(res.stderr).toContain('flowline.yaml:5:12');
  });

  it('prints a parseable report under --json', async () => {
    const file = path.join(dir.path, 'flowline.yaml');
    await writeFile(file, 'version: 1\nservice: hello\nstagse: {}\n');
    const res = await runCli(['validate', file, '--json']);
    expect(res.code).toBe(2);
    const report = JSON.parse(res.stdout);
    expect(report.ok).toBe(false);
    expect(report.errors[0]).toMatchObject({ code: 'unknown_key', line: 3, column: 1 });
  });

  it('says clearly when the file is missing', async () => {
    const res = await runCli(['validate', 'nope.yaml'], { cwd: dir.path });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('FLOWLINE_CONFIG_NOT_FOUND');
    expect(res.stderr).toContain('flowline init');
  });
});

describe('flowline init and schema', () => {
  it('writes a starter file from package.json that validates, and refuses to overwrite it', async () => {
    await writeFile(
      path.join(dir.path, 'package.json'),
      JSON.stringify({
        name: '@acme/shop',
        scripts: { build: 'tsc', test: 'vitest run', start: 'node dist/main.js' },
      }),
    );
    const res = await runCli(['init'], { cwd: dir.path });
    expect(res.code).toBe(0);
    expect((await runCli(['validate'], { cwd: dir.path })).code).toBe(0);
    const again = await runCli(['init'], { cwd: dir.path });
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('FLOWLINE_INIT_EXISTS');
  });

  it('prints a JSON Schema for editors', async () => {
    const res = await runCli(['schema']);
    expect(res.code).toBe(0);
    const schema = JSON.parse(res.stdout);
    expect(schema.properties).toHaveProperty('stages');
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('the store a command uses', () => {
  it('says once where it created a new store, and reads in a folder without one say so', async () => {
    const folder = path.join(dir.path, 'elsewhere');
    await mkdir(folder);
    const here = (...args: string[]) => runCli(args, { cwd: folder });
    for (const read of [['audit'], ['runs', '--json'], ['env', 'list'], ['whoami']]) {
      const res = await here(...read);
      expect({ read, code: res.code }).toEqual({ read, code: 3 });
      const said = `${res.stdout}${res.stderr}`; // --json: the error as JSON on stdout
      expect(said).toContain('FLOWLINE_STORE_NOT_FOUND');
      expect(said).toContain(`There is no Flowline store at ${folder}`);
      expect(said).toContain('FLOWLINE_HOME or --home');
    }
    // No read left an empty store behind.
    await expect(stat(path.join(folder, '.flowline'))).rejects.toMatchObject({ code: 'ENOENT' });

    const first = await here('token', 'create', 'reader', '--role', 'read', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe(
      'created a new store at ./.flowline/flowline.db (set FLOWLINE_HOME or --home to use another)\n',
    );
    const second = await here('token', 'create', 'other', '--role', 'read');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toBe('');
    const listed = await here('token', 'list', '--json');
    expect(JSON.parse(listed.stdout).tokens).toHaveLength(2);
  });
});

describe('tokens and the audit trail, embedded', () => {
  it('creates, lists and revokes tokens, and audits each step', async () => {
    const created = await runCli(
      ['token', 'create', 'ci-bot', '--role', 'deploy', '--env', 'staging', '--json'],
      { env },
    );
    expect(created.code).toBe(0);
    const { secret, token } = JSON.parse(created.stdout);
    expect(token).toMatchObject({ name: 'ci-bot', role: 'deploy', environments: ['staging'] });

    const listed = JSON.parse((await runCli(['token', 'list', '--json'], { env })).stdout);
    expect(listed.tokens).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(secret);

    expect((await runCli(['token', 'revoke', 'ci-bot'], { env })).code).toBe(0);
    const audit = JSON.parse((await runCli(['audit', '--json'], { env })).stdout);
    expect(audit.events.map((e: { action: string }) => e.action)).toEqual(['token.revoke', 'token.create']);
    expect(JSON.stringify(audit)).not.toContain(secret);

    const verified = await runCli(['audit', 'verify'], { env });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('intact: 2 events');
  });

  it('exits 3 when revoking a token that does not exist', async () => {
    const res = await runCli(['token', 'revoke', 'ghost'], { env });
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('FLOWLINE_TOKEN_NOT_FOUND');
  });

  it('names the first altered event when the store was tampered with', async () => {
    for (const name of ['a', 'b', 'c']) await runCli(['token', 'create', name, '--role', 'read'], { env });
    const db = new Database(path.join(env.FLOWLINE_HOME ?? '', 'flowline.db'));
    db.prepare("UPDATE audit_events SET target = 'token:evil' WHERE seq = 2").run();
    db.close();
    const res = await runCli(['audit', 'verify', '--json'], { env });
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: false, firstBad: { seq: 2, problem: 'altered' } });
  });

  it('says when it verified internally only, and catches a deleted tail against a saved head', async () => {
    for (const name of ['a', 'b', 'c']) await runCli(['token', 'create', name, '--role', 'read'], { env });
    const head = await runCli(['audit', 'head'], { env });
    expect(head.code).toBe(0);
    expect(head.stdout).toMatch(/^3:[0-9a-f]{64}\n$/);
    const saved = head.stdout.trim();
    expect(JSON.parse((await runCli(['audit', 'head', '--json'], { env })).stdout)).toEqual({
      seq: 3,
      hash: saved.slice(2),
    });
    const anchored = await runCli(['audit', 'verify', '--head', saved], { env });
    expect(anchored.code).toBe(0);
    expect(anchored.stdout).toContain('contains the 1 saved head given (newest #3)');
    expect(anchored.stderr).not.toContain('verified internally only');

    // Issue 9: delete the newest event and rewrite the head record to match.
    const db = new Database(path.join(env.FLOWLINE_HOME ?? '', 'flowline.db'));
    db.exec('DELETE FROM audit_events WHERE seq = 3');
    db.exec('UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2)');
    db.close();
    const internal = await runCli(['audit', 'verify'], { env });
    expect(internal.code).toBe(0);
    expect(internal.stderr).toContain('verified internally only');

    const caught = await runCli(['audit', 'verify', '--head', saved], { env });
    expect(caught.code).toBe(1);
    expect(caught.stderr).toContain('FLOWLINE_AUDIT_ANCHOR_MISMATCH');
    expect(caught.stderr).toContain('the head saved at #3 lies past the end of the chain (#2)');
    const json = await runCli(['audit', 'verify', '--head', saved, '--json'], { env });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      code: 'FLOWLINE_AUDIT_ANCHOR_MISMATCH',
      firstBad: { seq: 3, problem: 'truncated', anchor: { seq: 3 } },
    });
  });

  it('refuses a malformed saved head or anchor file with exit 2', async () => {
    const head = await runCli(['audit', 'verify', '--head', '3:abc'], { env });
    expect(head.code).toBe(2);
    expect(head.stderr).toContain('FLOWLINE_AUDIT_ANCHOR_INVALID');
    const file = path.join(dir.path, 'anchor.log');
    await writeFile(file, `{"seq":0,"hash":"${'0'.repeat(64)}"}\nnot a head\n`);
    const anchor = await runCli(['audit', 'verify', '--anchor', file], { env });
    expect(anchor.code).toBe(2);
    expect(anchor.stderr).toContain('FLOWLINE_AUDIT_ANCHOR_INVALID');
    expect(anchor.stderr).toContain('anchor.log:2');
  });

  it('refuses a corrupt store without touching it', async () => {
    await runCli(['token', 'create', 'reader', '--role', 'read'], { env });
    const file = path.join(env.FLOWLINE_HOME ?? '', 'flowline.db');
    const garbage = Buffer.from('this is not a database, it is a shopping list\n'.repeat(100));
    await writeFile(file, garbage);
    const res = await runCli(['token', 'list'], { env });
    expect(res.code).toBe(6);
    expect(res.stderr).toContain('FLOWLINE_STORE_CORRUPT');
    expect((await readFile(file)).equals(garbage)).toBe(true);
  });
});

describe('flowline against a server', () => {
  it('serves the API, talks to it with a token, and stops cleanly on SIGTERM', async () => {
    const admin = JSON.parse(
      (await runCli(['token', 'create', 'root', '--role', 'admin', '--json'], { env })).stdout,
    ).secret as string;
    const server = await startCli(['serve', '--port', '0'], /API on (http:\/\/[\d.:]+)/, { env });
    try {
      const url = server.match[1] ?? '';
      expect(server.output()).toContain(`Dashboard: ${url}/`);
      expect(server.output()).toContain('flowline token create <name> --role read');
      const remote = { FLOWLINE_URL: url, FLOWLINE_TOKEN: admin };
      const who = await runCli(['whoami', '--json'], { env: remote, cwd: dir.path });
      expect(who.code).toBe(0);
      expect(JSON.parse(who.stdout)).toMatchObject({
        actor: { kind: 'token', name: 'root' },
        mode: 'remote',
      });

      const created = await runCli(['token', 'create', 'viewer', '--role', 'read', '--json'], {
        env: remote,
      });
      const viewer = JSON.parse(created.stdout).secret as string;
      const denied = await runCli(['token', 'list'], { env: { FLOWLINE_URL: url, FLOWLINE_TOKEN: viewer } });
      expect(denied.code).toBe(5);
      expect(denied.stderr).toContain('FLOWLINE_FORBIDDEN');

      const bad = await runCli(['audit'], { env: { FLOWLINE_URL: url, FLOWLINE_TOKEN: 'flt_nope' } });
      expect(bad.code).toBe(5);
      expect(bad.stderr).toContain('FLOWLINE_AUTH_INVALID');
      expect(bad.stderr).not.toContain('flt_nope');
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.output()).toContain('draining');
  });

  it('runs the README demo: pipeline, staging, production, a canary of a change, then stops on SIGTERM', async () => {
    const demo = await startCli(
      ['demo', '--port', '0', '--router-port', '0'],
      /serving\s+until Ctrl-C|error FLOWLINE/,
      {
        env,
      },
    );
    const output = demo.output();
    expect(output).not.toContain('error FLOWLINE');
    expect(output).toMatch(/staging serves it at http:\/\/staging\.hello\.localhost:\d+\//);
    expect(output).toContain('step 4/6: setWeight 50%');
    expect(output).toContain('promoted:');
    expect(output).toMatch(/\d+ demo requests during the releases, 0 failed/);
    // On failure, show how the demo ended: a signal's name and the tail of its output.
    const code = await demo.stop();
    expect(code, demo.output().slice(-3000)).toBe(0);
  }, 240_000);

  it('appends its audit head to FLOWLINE_AUDIT_ANCHOR at start and stop, which catches a rewritten chain', async () => {
    const admin = JSON.parse(
      (await runCli(['token', 'create', 'root', '--role', 'admin', '--json'], { env })).stdout,
    ).secret as string;
    const anchor = path.join(dir.path, 'anchor', 'audit.log');
    await mkdir(path.dirname(anchor));
    const server = await startCli(
      ['serve', '--port', '0', '--router-port', '0'],
      /API on (http:\/\/[\d.:]+)/,
      {
        env: { ...env, FLOWLINE_AUDIT_ANCHOR: anchor },
      },
    );
    const remote = { FLOWLINE_URL: server.match[1] ?? '', FLOWLINE_TOKEN: admin };
    try {
      expect((await stat(anchor)).mode & 0o777).toBe(0o600);
      expect(parseAnchorFile(await readFile(anchor, 'utf8'), anchor).map((h) => h.seq)).toEqual([1]);
      await runCli(['token', 'create', 'viewer', '--role', 'read'], { env: remote });
      const head = await runCli(['audit', 'head'], { env: remote });
      expect(head.stdout.trim()).toMatch(/^2:/);
      const verified = await runCli(['audit', 'verify', '--anchor', anchor, '--head', head.stdout.trim()], {
        env: remote,
      });
      expect(verified.code).toBe(0);
      expect(verified.stdout).toContain('contains the 2 saved heads given (newest #2)');
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const lines = (await readFile(anchor, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.seq)).toEqual([1, 2]);
    expect(lines[1]).toEqual({
      seq: 2,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      at: expect.any(String),
    });

    // Rewrite the chain whole: change event #1 and re-hash it, #2 and the head record.
    const db = new Database(path.join(env.FLOWLINE_HOME ?? '', 'flowline.db'));
    db.exec("UPDATE audit_events SET target = 'token:nobody' WHERE seq = 1");
    let prev = GENESIS_HASH;
    for (const row of db.prepare('SELECT * FROM audit_events ORDER BY seq').all() as AuditEventRow[]) {
      const { seq, id, at, action, target } = row;
      const fields = {
        ...{ seq, id, at, action, target, prevHash: prev },
        actor: { kind: row.actor_kind, name: row.actor_name },
        where: JSON.parse(row.where_json),
        details: JSON.parse(row.details_json),
      };
      const hash = createHash('sha256').update(canonicalJson(fields)).digest('hex');
      db.prepare('UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, hash, seq);
      prev = hash;
    }
    db.prepare('UPDATE audit_head SET hash = ?').run(prev);
    db.close();
    expect((await runCli(['audit', 'verify'], { env })).code).toBe(0);
    const caught = await runCli(['audit', 'verify', '--anchor', anchor], { env });
    expect(caught.code).toBe(1);
    expect(caught.stderr).toContain('FLOWLINE_AUDIT_ANCHOR_MISMATCH');
    expect(caught.stderr).toContain('does not match the head saved at #1');
  });

  it('exits 6 when the server cannot be reached', async () => {
    const res = await runCli(['audit'], { env: { FLOWLINE_URL: 'http://127.0.0.1:9', FLOWLINE_TOKEN: 'x' } });
    expect(res.code).toBe(6);
    expect(res.stderr).toContain('FLOWLINE_SERVER_UNREACHABLE');
  });
});
