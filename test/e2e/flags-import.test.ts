import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlagServer } from './flags-helpers.js';
import { EXAMPLE_CONFIG, runCli, tempDir } from './helpers.js';

/** `flowline flags import` as a user runs it: the built CLI against a real server. */

let server: Awaited<ReturnType<typeof startFlagServer>>;
let repo: Awaited<ReturnType<typeof tempDir>>;
let remote: Record<string, string>;

const flags = (args: string[]) => runCli(['flags', ...args], { cwd: repo.path, env: remote });
const write = (name: string, document: unknown) =>
  writeFile(path.join(repo.path, name), JSON.stringify(document));

const EXPORT = {
  version: 2,
  features: [
    { name: 'plain', enabled: true, strategies: [{ name: 'userWithId', parameters: { userIds: 'ann' } }] },
    {
      name: 'coin',
      enabled: true,
      strategies: [{ name: 'gradualRolloutRandom', parameters: { percentage: 50 } }],
    },
    { name: 'tenant-rule', enabled: true, strategies: [{ name: 'tenantStrategy', parameters: {} }] },
    {
      name: 'needs-red',
      enabled: true,
      strategies: [{ name: 'default' }],
      dependencies: [{ feature: 'plain', variants: ['red'] }],
    },
  ],
};

beforeAll(async () => {
  server = await startFlagServer();
  repo = await tempDir('flowline-flags-import-');
  await writeFile(path.join(repo.path, 'flowline.yaml'), await readFile(EXAMPLE_CONFIG, 'utf8'));
  remote = { FLOWLINE_URL: server.api.url, FLOWLINE_TOKEN: server.tokens.deployer };
  await write('unleash.json', EXPORT);
  await write('hopeless.json', { features: [EXPORT.features[2]] });
});

afterAll(async () => {
  await server.stop();
  await repo.dispose();
});

describe('flowline flags import', () => {
  it('writes what it can and lists imported, imported-with-notes and skipped flags', async () => {
    const res = await flags(['import', '--from', 'unleash', 'unleash.json', '--env', 'staging']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('imported 3 flags from unleash (version 1)');
    expect(res.stdout).toContain(
      '3 flags of 4 imported from unleash: 1 as they are, 2 with notes, 1 skipped',
    );
    expect(res.stdout).toMatch(/✔ plain\n/);
    expect(res.stdout).toContain(
      '! coin, with notes:\n      gradualRolloutRandom: each evaluation is a new draw',
    );
    expect(res.stdout).toContain('! needs-red, with notes:');
    expect(res.stdout).toContain('✗ tenant-rule, skipped: the custom strategy `tenantStrategy`');
    const served = await server.call('GET', '/v1/flags/hello/staging', { token: server.tokens.reader });
    expect(Object.keys(served.body.definition.flags).sort()).toEqual(['coin', 'needs-red', 'plain']);
  });

  it('gives the same summary when nothing changed, and in --json', async () => {
    const again = await flags(['import', '--from', 'unleash', 'unleash.json', '--env', 'staging']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already so (version 1)');
    expect(again.stdout).toContain('✗ tenant-rule, skipped');
    const json = await flags(['import', '--from', 'unleash', 'unleash.json', '--env', 'staging', '--json']);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout);
    expect(body.version).toBe(1);
    expect(body.import).toEqual({
      from: 'unleash',
      imported: ['plain', 'coin', 'needs-red'],
      withNotes: ['coin', 'needs-red'],
      skipped: [{ flag: 'tenant-rule', message: expect.stringContaining('tenantStrategy') }],
      notes: expect.arrayContaining([
        { flag: 'coin', message: expect.stringContaining('gradualRolloutRandom') },
        { flag: 'needs-red', message: expect.stringContaining('`red`') },
      ]),
    });
  });

  it('fails with FLOWLINE_FLAGS_IMPORT_NOTHING when every flag is skipped, writing nothing', async () => {
    const res = await flags(['import', '--from', 'unleash', 'hopeless.json', '--env', 'production']);
    expect(res.code).toBe(2);
    expect(res.stdout).toContain('0 flags of 1 imported from unleash');
    expect(res.stdout).toContain('✗ tenant-rule, skipped');
    expect(res.stderr).toContain('FLOWLINE_FLAGS_IMPORT_NOTHING');
    const json = await flags([
      'import',
      '--from',
      'unleash',
      'hopeless.json',
      '--env',
      'production',
      '--json',
    ]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error).toMatchObject({
      code: 'FLOWLINE_FLAGS_IMPORT_NOTHING',
      issues: [
        { code: 'flag_skipped', path: 'tenant-rule', message: expect.stringContaining('tenantStrategy') },
      ],
    });
    const served = await server.call('GET', '/v1/flags/hello/production', { token: server.tokens.reader });
    expect(served.body.version).toBe(0);
  });

  it('reports a flagd file the same way', async () => {
    await write('flagd.json', {
      flags: {
        banner: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' },
      },
    });
    const res = await flags(['import', '--from', 'flagd', 'flagd.json', '--env', 'staging', '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).import).toEqual({
      from: 'flagd',
      imported: ['banner'],
      withNotes: [],
      skipped: [],
      notes: [],
    });
  });
});
