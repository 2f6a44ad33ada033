import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFlowline } from '../../app/flowline.js';
import { makeTree, tempDir } from '../../artifacts/testing.js';
import { createManualClock } from '../../core/clock.js';
import { loadSettings } from '../../core/settings.js';
import { type CommandContext, createContext } from '../context.js';
import { gc, list, verify } from './artifacts.js';

let t: Awaited<ReturnType<typeof tempDir>>;
const DAY = 86_400_000;
const home = () => path.join(t.dir, 'home');

beforeEach(async () => {
  t = await tempDir();
});
afterEach(async () => {
  await t.cleanup();
});

/** Runs a command body in-process as the CLI would, capturing output and the exit code. */
async function cli(
  body: (ctx: CommandContext) => Promise<number | undefined>,
  options: Record<string, unknown> = {},
  env: Record<string, string> = {},
) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ctx = createContext(options, { stdout, stderr }, { FLOWLINE_HOME: home(), NO_COLOR: '1', ...env });
  const code = await ctx.guard(() => body(ctx));
  return { code, out, err };
}

/** Stores a build, records it, and makes it look `ageDays` old (run and file times). */
async function seed(name: string, ageDays: number, options: { run?: boolean } = {}) {
  const clock = createManualClock(new Date(Date.now() - ageDays * DAY));
  const flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: home() }, t.dir), { clock });
  try {
    await makeTree(path.join(t.dir, name), { 'index.js': name.padEnd(8, '.') } /* 8 bytes */);
    const ref = await flowline.artifacts.put(path.join(t.dir, name));
    await flowline.catalog.ensureService('shop');
    await flowline.catalog.recordArtifact({
      id: ref.digest,
      service: 'shop',
      cacheKey: `sha256:${'c'.repeat(64)}`,
      commitSha: '0123456789abcdef',
      sizeBytes: ref.sizeBytes,
    });
    if (options.run !== false) {
      const run = await flowline.catalog.startRun({ service: 'shop', where: { host: 'ci' } });
      await flowline.catalog.finishRun(run.id, 'succeeded', ref.digest);
    }
    const then = clock.now();
    await utimes(`${ref.path}.manifest.json`, then, then);
    return ref;
  } finally {
    await flowline.close();
  }
}

describe('flowline artifacts', () => {
  it('lists recorded artifacts with short digests, as a table or JSON', async () => {
    expect((await cli(list)).out).toBe('No artifacts yet. Run a pipeline to build one.\n');
    const ref = await seed('v1', 0);
    const table = await cli(list);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^DIGEST +SERVICE +COMMIT +CACHE KEY +SIZE +AGE\n/);
    expect(table.out).toContain(`${ref.digest.slice(0, 19)}  shop     0123456  sha256:cccccccccccc  8 B`);
    const json = JSON.parse((await cli(list, { json: true, service: 'shop' })).out);
    expect(json.artifacts).toEqual([expect.objectContaining({ id: ref.digest, service: 'shop' })]);
  });
});

describe('flowline artifacts verify', () => {
  it('accepts a digest prefix and reports an intact artifact', async () => {
    const ref = await seed('v1', 0);
    const res = await cli((ctx) => verify(ctx, ref.digest.slice(7, 15)));
    expect(res).toEqual({ code: 0, out: `✔ ${ref.digest} intact: 1 file, 8 B\n`, err: '' });
  });

  it('exits 1 naming the changed file', async () => {
    const ref = await seed('v1', 0);
    const { chmod, writeFile } = await import('node:fs/promises');
    await chmod(ref.path, 0o755);
    await chmod(path.join(ref.path, 'index.js'), 0o644);
    await writeFile(path.join(ref.path, 'index.js'), 'v2......'); // same size, other bytes
    const res = await cli((ctx) => verify(ctx, ref.digest), { json: true });
    expect(res.code).toBe(1);
    expect(JSON.parse(res.out).error).toMatchObject({
      code: 'FLOWLINE_ARTIFACT_CORRUPT',
      issues: [{ path: 'index.js', message: 'changed content (its sha256 differs from the manifest)' }],
    });
  });

  it('refuses an unknown digest, and asks the server when one is given', async () => {
    expect((await cli((ctx) => verify(ctx, 'abcd'))).code).toBe(3);
    const remote = await cli((ctx) => verify(ctx, 'abcd'), {}, { FLOWLINE_URL: 'http://127.0.0.1:9' });
    expect(remote.code).toBe(6);
    expect(remote.err).toContain('FLOWLINE_SERVER_UNREACHABLE');
  });
});

describe('flowline artifacts gc', () => {
  it('keeps what recent runs built, removes the rest, and records an audit event', async () => {
    const recent = await seed('recent', 3);
    const old = await seed('old', 30);
    const orphan = await seed('orphan', 1, { run: false });

    const dry = await cli(gc, { keepDays: '14', dryRun: true });
    expect(dry.out).toBe(
      `Would remove 2 artifacts (16 B):\n  ${[old.digest, orphan.digest].sort().join('\n  ')}\n`,
    );

    const res = await cli(gc, { keepDays: '14', json: true });
    expect(JSON.parse(res.out)).toEqual({
      dryRun: false,
      keepDays: 14,
      removed: [old.digest, orphan.digest].sort(),
      freedBytes: 16,
    });
    const flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: home() }, t.dir));
    try {
      expect((await flowline.artifacts.list()).map((r) => r.digest)).toEqual([recent.digest]);
      expect(await flowline.audit.list({ action: 'artifacts.gc' })).toEqual([
        expect.objectContaining({ details: { removed: 2, freedBytes: 16, keepDays: 14 } }),
      ]);
    } finally {
      await flowline.close();
    }
    expect((await cli(gc, { keepDays: '14' })).out).toBe(
      'Nothing to remove: every stored artifact is in use or recent.\n',
    );
  });

  it('refuses a bad --keep-days', async () => {
    const res = await cli(gc, { keepDays: '2w' });
    expect(res.code).toBe(2);
    expect(res.err).toContain('--keep-days `2w` is not a whole number of days.');
  });
});
