import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAndon } from '../andon/index.js';
import { type ArtifactStore, createArtifactStore, readSealedConfig } from '../artifacts/index.js';
import { makeTree, tempDir } from '../artifacts/testing.js';
import { createAuditLog } from '../audit/index.js';
import { createCatalog } from '../catalog/index.js';
import { parseConfig } from '../config/index.js';
import { systemClock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import { createQualityRecords } from '../quality/index.js';
import { openStore, type Store } from '../store/index.js';
import { createPipeline, type PipelineDeps } from './runner.js';
import type { RunObserver, RunReport } from './types.js';

let t: Awaited<ReturnType<typeof tempDir>>;
let store: Store;
const repo = () => path.join(t.dir, 'repo');
const home = () => path.join(t.dir, 'home');

beforeEach(async () => {
  t = await tempDir('flowline-runner-');
  await makeTree(repo(), { 'src/app.js': 'export {}', '.gitignore': 'out\n' });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo(), stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'first change');
  store = await openStore({ file: path.join(home(), 'flowline.db'), clock: systemClock });
});
afterEach(async () => {
  await store.close();
  await t.cleanup();
});

function pipeline(extra: Partial<PipelineDeps> = {}) {
  const clock = systemClock;
  const audit = createAuditLog({ store, clock });
  const catalog = createCatalog({ store, clock });
  const andon = createAndon({ store, audit, clock });
  const deps: PipelineDeps = {
    store,
    catalog,
    audit,
    andon,
    artifacts: createArtifactStore({ root: path.join(home(), 'artifacts'), clock }),
    clock,
    home: home(),
    env: { PATH: process.env.PATH, API_KEY: 'k3y-value-123' },
    hostname: 'test-host',
    actor: { kind: 'user', name: 'tester' },
    killGraceMs: 1000,
    trunkOf: async (config) => (config.pipeline.andon ? config.pipeline.trunk : null),
    quality: createQualityRecords({ store, audit, clock }),
    ...extra,
  };
  return { deps, catalog, audit, andon, pipeline: createPipeline(deps) };
}

async function run(
  yaml: string,
  options: { only?: string[]; noCache?: boolean; observer?: RunObserver } = {},
  extra: Partial<PipelineDeps> = {},
) {
  const text = `version: 1\nservice: shop\n${yaml}`;
  const parsed = parseConfig(text, 'flowline.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const p = pipeline(extra);
  const report = await p.pipeline.run({
    config: parsed.config,
    configText: text,
    configPath: path.join(repo(), 'flowline.yaml'),
    cwd: repo(),
    ...options,
  });
  return { ...p, report };
}

const stage = (report: RunReport, name: string) => report.stages.find((s) => s.name === name);

const BUILD = `
build:
  command: mkdir -p out && cp src/app.js out/
  inputs: ["src/**"]
  output: out
`;

describe('the pipeline runner', () => {
  it('builds once, records the artifact, and reuses it when the inputs did not change', async () => {
    const yaml = `${BUILD}stages:\n  unit:\n    steps: [{ run: 'test -d "$FLOWLINE_ARTIFACT_PATH" && echo "$FLOWLINE_ARTIFACT"' }]\n`;
    const first = await run(yaml);
    expect(first.report.status).toBe('succeeded');
    expect(first.report.artifact).toMatchObject({ digest: expect.stringMatching(/^sha256:/), cached: false });
    expect(first.report.commit).toMatchObject({ message: 'first change', branch: 'main' });
    const log = await readFile(stage(first.report, 'unit')?.logPath ?? '', 'utf8');
    expect(log).toContain(first.report.artifact?.digest);

    const second = await run(yaml);
    expect(stage(second.report, 'build')).toMatchObject({
      status: 'cached',
      reason: expect.stringContaining('cached'),
    });
    expect(second.report.artifact).toMatchObject({ digest: first.report.artifact?.digest, cached: true });
    const runs = await second.catalog.listRuns();
    expect(runs.map((r) => r.artifactId)).toEqual([
      first.report.artifact?.digest,
      first.report.artifact?.digest,
    ]);

    const third = await run(yaml, { noCache: true });
    expect(stage(third.report, 'build')?.status).toBe('succeeded');
  });

  it('seals the flowline.yaml into the artifact; a changed file alone seals the same build output again', async () => {
    const marker = path.join(repo(), 'builds.count');
    const counted = BUILD.replace('mkdir -p out', `echo x >> ${marker} && mkdir -p out`);
    const first = await run(`${counted}stages:\n  unit:\n    steps: [{ run: 'true' }]\n`);
    const firstPath = first.report.artifact?.path ?? '';
    expect(await readSealedConfig(firstPath)).toContain("steps: [{ run: 'true' }]");

    const second = await run(`${counted}stages:\n  unit:\n    steps: [{ run: 'echo changed' }]\n`);
    expect(stage(second.report, 'build')?.status).toBe('cached');
    expect(await readFile(marker, 'utf8')).toBe('x\n'); // the build command ran once
    const secondPath = second.report.artifact?.path ?? '';
    expect(second.report.artifact?.digest).not.toBe(first.report.artifact?.digest);
    expect(await readSealedConfig(secondPath)).toContain("run: 'echo changed'");
    expect(await readFile(path.join(secondPath, 'app.js'), 'utf8')).toBe(
      await readFile(path.join(firstPath, 'app.js'), 'utf8'),
    );
  });

  it('runs independent stages at the same time (their recorded runs overlap)', async () => {
    // Each stage waits until the other has started: they can only finish if they overlap.
    const wait = (me: string, other: string) =>
      `touch ${me}.started; i=0; while [ ! -f ${other}.started ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done; test -f ${other}.started`;
    const { report } = await run(
      `stages:\n  a:\n    needs: []\n    steps: [{ run: '${wait('a', 'b')}' }]\n  b:\n    needs: []\n    steps: [{ run: '${wait('b', 'a')}' }]\n`,
    );
    expect(report.status).toBe('succeeded');
    const [a, b] = [stage(report, 'a'), stage(report, 'b')];
    expect((a?.startedAt ?? '') < (b?.finishedAt ?? '')).toBe(true);
    expect((b?.startedAt ?? '') < (a?.finishedAt ?? '')).toBe(true);
  });

  it('fails the run on a failing stage, skips its dependents, and still runs finally', async () => {
    const lines: string[] = [];
    const { report, audit } = await run(
      `stages:\n  unit:\n    needs: []\n    steps: [{ run: 'echo "using $API_KEY"; exit 2' }]\n  e2e:\n    needs: [unit]\n    steps: [{ run: 'true' }]\nfinally:\n  - run: echo "cleanup after $FLOWLINE_RUN_STATUS"\nsecrets: [API_KEY]\n`,
      { observer: { line: (node, text) => lines.push(`${node}: ${text}`) } },
    );
    expect(report.status).toBe('failed');
    expect(stage(report, 'unit')).toMatchObject({
      status: 'failed',
      exitCode: 2,
      reason: 'step `echo "using $API_KEY"; exit 2` in stage unit exited with code 2',
    });
    expect(stage(report, 'e2e')).toMatchObject({ status: 'skipped', reason: 'needs `unit`, which failed' });
    expect(stage(report, 'finally')?.status).toBe('succeeded');
    expect(lines).toContain('finally: cleanup after failed');
    // The secret's value never reaches the display or the disk.
    expect(lines).toContain('unit: using ***');
    const log = await readFile(stage(report, 'unit')?.logPath ?? '', 'utf8');
    expect(log).not.toContain('k3y-value-123');
    const events = await audit.list({ action: 'run.' });
    expect(events.map((e) => e.action)).toEqual(['run.finish', 'run.start']);
    expect(events[0]?.details).toMatchObject({ status: 'failed', failed: ['unit'] });
  });

  it('runs only the stages asked for and what they need', async () => {
    const { report } = await run(
      `${BUILD}stages:\n  unit:\n    steps: [{ run: 'true' }]\n  lint:\n    needs: []\n    steps: [{ run: 'true' }]\n  e2e:\n    needs: [unit]\n    steps: [{ run: 'true' }]\n`,
      { only: ['unit'] },
    );
    expect(report.stages.map((s) => s.name)).toEqual(['build', 'unit']);
    expect(report.only).toEqual(['unit']);
  });

  it('turns the trunk red on a failed trunk run and green on the next passing one', async () => {
    const failing = await run(`stages:\n  unit:\n    steps: [{ run: 'exit 1' }]\n`);
    expect(await failing.andon.status('shop')).toMatchObject({
      state: 'red',
      runId: failing.report.runId,
      reason: 'unit failed',
    });
    await expect(failing.andon.assertGreen('shop')).rejects.toMatchObject({ code: 'FLOWLINE_ANDON_RED' });
    const partial = await run(`stages:\n  unit:\n    steps: [{ run: 'true' }]\n`, { only: ['unit'] });
    expect(await partial.andon.status('shop')).toMatchObject({ state: 'red' });
    const passing = await run(`stages:\n  unit:\n    steps: [{ run: 'true' }]\n`);
    expect(await passing.andon.status('shop')).toMatchObject({ state: 'green', runId: passing.report.runId });
  });

  it('fails cleanly when the artifact store reports a full disk, recording no artifact', async () => {
    const real = createArtifactStore({ root: path.join(home(), 'artifacts'), clock: systemClock });
    const full: ArtifactStore = {
      ...real,
      cacheKey: (input) => real.cacheKey(input),
      put: async () => {
        throw new FlowlineError(
          'FLOWLINE_ARTIFACT_DISK_FULL',
          'The disk under /x is full: nothing was kept.',
        );
      },
    };
    const { report, catalog } = await run(
      `${BUILD}stages:\n  unit:\n    steps: [{ run: 'true' }]\n`,
      {},
      { artifacts: full },
    );
    expect(report.status).toBe('failed');
    expect(report.error).toMatchObject({ code: 'FLOWLINE_ARTIFACT_DISK_FULL' });
    expect(stage(report, 'build')).toMatchObject({
      status: 'failed',
      reason: 'The disk under /x is full: nothing was kept.',
    });
    expect(stage(report, 'unit')?.status).toBe('skipped');
    expect(report.artifact).toBeNull();
    expect(await catalog.listArtifacts()).toEqual([]);
  });

  it('fails a stage with an image cleanly where no Docker engine runs', async () => {
    const { report } = await run(
      `stages:\n  box:\n    image: alpine:3\n    steps: [{ run: 'true' }]\n`,
      {},
      { env: { PATH: '/nonexistent' } },
    );
    expect(stage(report, 'box')).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/^container executor needs a Docker engine; none is running here \(/),
    });
  });

  it('kills a step that outlives its timeout and says so', async () => {
    await writeFile(path.join(repo(), 'x'), '');
    const { report } = await run(`stages:\n  unit:\n    steps: [{ run: 'sleep 30', timeout: 200ms }]\n`);
    expect(stage(report, 'unit')).toMatchObject({
      status: 'failed',
      reason: 'step `sleep 30` in stage unit timed out after 200ms',
    });
  });
});
