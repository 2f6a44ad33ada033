import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Andon, createAndon } from '../andon/index.js';
import { trunkOf } from '../app/policy.js';
import { createArtifactStore } from '../artifacts/index.js';
import { makeTree } from '../artifacts/testing.js';
import { type AuditLog, createAuditLog } from '../audit/index.js';
import { createCatalog } from '../catalog/index.js';
import { newId } from '../core/ids.js';
import { createPolicies } from '../policy/index.js';
import { createQualityRecords } from '../quality/index.js';
import { tempStore } from '../store/testing.js';
import { createRunIntake, type RemoteRunStart, type RunIntake } from './intake.js';

let t: Awaited<ReturnType<typeof tempStore>>;
let intake: RunIntake;
let andon: Andon;
let audit: AuditLog;
let artifacts: ReturnType<typeof createArtifactStore>;
const ci = { actor: { kind: 'token' as const, name: 'ci-bot' }, tokenId: 'tok_ci' };
const other = { actor: { kind: 'token' as const, name: 'other-ci' }, tokenId: 'tok_other' };
/** The runner's flowline.yaml: it seeds the policy of the new service (trunk main). */
const CONFIG =
  'version: 1\nservice: shop\nbuild: { command: make, inputs: ["src/**"], output: dist }\npipeline: { trunk: main }\n';
const where = { host: 'runner-7', ci: { provider: 'github-actions', runId: '42' } };

beforeEach(async () => {
  t = await tempStore();
  audit = createAuditLog({ store: t.store, clock: t.clock });
  const catalog = createCatalog({ store: t.store, clock: t.clock });
  andon = createAndon({ store: t.store, audit, clock: t.clock });
  artifacts = createArtifactStore({ root: path.join(t.dir, 'artifacts'), clock: t.clock });
  const policies = createPolicies({ store: t.store, audit, clock: t.clock });
  intake = createRunIntake({
    store: t.store,
    catalog,
    audit,
    andon,
    artifacts,
    clock: t.clock,
    home: t.dir,
    trunkOf: trunkOf(policies),
    quality: createQualityRecords({ store: t.store, audit, clock: t.clock }),
  });
});
afterEach(async () => {
  await t.cleanup();
});

function started(overrides: Partial<RemoteRunStart> = {}): RemoteRunStart {
  return {
    id: newId('run'),
    service: 'shop',
    branch: 'main',
    commit: { sha: 'a'.repeat(40), authorTime: '2026-01-01T00:00:00.000Z', message: 'fix' },
    where,
    startedAt: '2025-12-31T23:59:00.000Z',
    nodes: [
      { name: 'build', kind: 'build' },
      { name: 'unit', kind: 'stage' },
    ],
    config: CONFIG,
    ...overrides,
  };
}

/** Records every stage as passed, as the runner does before it reports success. */
async function passStages(id: string): Promise<void> {
  for (const stage of ['build', 'unit']) await intake.updateStage(id, stage, { status: 'succeeded' }, ci);
}

const finish = (status: 'succeeded' | 'failed', only: string[] | null = null) => ({
  status,
  finishedAt: '2026-01-01T00:01:00.000Z',
  artifact: null,
  only,
  optional: [],
});

describe('recording a run that ran elsewhere', () => {
  it('keeps the runner id and times, the stages, the masked log and the outcome, audited as the token', async () => {
    const input = started();
    const run = await intake.start(input, ci);
    expect(run).toMatchObject({ id: input.id, status: 'running', startedAt: input.startedAt, where });
    await intake.updateStage(
      input.id,
      'unit',
      {
        status: 'failed',
        startedAt: '2026-01-01T00:00:10.000Z',
        finishedAt: '2026-01-01T00:00:20.000Z',
        exitCode: 3,
      },
      ci,
    );
    await intake.writeLog(
      input.id,
      'unit',
      Readable.from([
        '+0.010s boom\n+0.020s token flt_',
        'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG leaked\n',
      ]),
      ci,
    );
    const done = await intake.finish(input.id, finish('failed'), ci);
    expect(done.run).toMatchObject({ status: 'failed', finishedAt: '2026-01-01T00:01:00.000Z' });
    expect(done.andon?.status).toMatchObject({ state: 'red', runId: input.id, reason: 'unit failed' });
    const { stages } = await intake.view(input.id);
    expect(stages.map((s) => [s.name, s.status, s.exitCode])).toEqual([
      ['build', 'queued', null],
      ['unit', 'failed', 3],
    ]);
    const { lines } = await intake.readLog(input.id, 'unit', 0, 1024 * 1024);
    expect(lines).toEqual(['+0.010s boom', '+0.020s token *** leaked']);
    const events = await audit.list({ target: `run:${input.id}` });
    expect(events.map((e) => [e.action, e.actor.name])).toEqual([
      ['run.finish', 'ci-bot'],
      ['run.start', 'ci-bot'],
    ]);
  });

  it('turns the andon green on a later passing trunk run, and ignores partial runs', async () => {
    const red = started();
    await intake.start(red, ci);
    await intake.finish(red.id, finish('failed'), ci);
    const partial = started({ id: newId('run') });
    await intake.start(partial, ci);
    await passStages(partial.id);
    expect((await intake.finish(partial.id, finish('succeeded', ['unit']), ci)).andon).toBeNull();
    expect((await andon.status('shop')).state).toBe('red');
    const green = started({ id: newId('run') });
    await intake.start(green, ci);
    await passStages(green.id);
    await intake.finish(green.id, finish('succeeded'), ci);
    expect(await andon.status('shop')).toMatchObject({ state: 'green', runId: green.id });
  });

  it('refuses to change a finished run or to reuse its id', async () => {
    const input = started();
    await intake.start(input, ci);
    await passStages(input.id);
    await intake.finish(input.id, finish('succeeded'), ci);
    await expect(intake.updateStage(input.id, 'unit', { status: 'running' }, ci)).rejects.toMatchObject({
      code: 'FLOWLINE_RUN_CONFLICT',
    });
    await expect(intake.start(input, ci)).rejects.toMatchObject({ code: 'FLOWLINE_RUN_CONFLICT' });
    await expect(intake.view('run_nope')).rejects.toMatchObject({ code: 'FLOWLINE_NOT_FOUND' });
  });

  it('records the artifact only when the server stores it', async () => {
    const input = started();
    await intake.start(input, ci);
    const missing = { digest: `sha256:${'1'.repeat(64)}`, cacheKey: `sha256:${'2'.repeat(64)}` };
    await expect(
      intake.finish(input.id, { ...finish('succeeded'), artifact: missing }, ci),
    ).rejects.toMatchObject({ code: 'FLOWLINE_ARTIFACT_NOT_FOUND' });
    await passStages(input.id);
    await makeTree(path.join(t.dir, 'out'), { 'app.js': 'ok\n' });
    const ref = await artifacts.put(path.join(t.dir, 'out'));
    const done = await intake.finish(
      input.id,
      { ...finish('succeeded'), artifact: { digest: ref.digest, cacheKey: missing.cacheKey } },
      ci,
    );
    expect(done.run.artifactId).toBe(ref.digest);
  });
});

describe('who may change a recorded run', () => {
  it('refuses every update from a token other than the one that started the run', async () => {
    const input = started();
    await intake.start(input, ci);
    const refused = { code: 'FLOWLINE_FORBIDDEN' };
    await expect(intake.updateStage(input.id, 'unit', { status: 'succeeded' }, other)).rejects.toMatchObject(
      refused,
    );
    await expect(
      intake.appendLog(input.id, 'unit', 0, Readable.from(['+0.1s x\n']), other),
    ).rejects.toMatchObject(refused);
    await expect(intake.heartbeat(input.id, other)).rejects.toMatchObject(refused);
    const history = { head: 'a'.repeat(40), commits: [], truncated: false, shallow: false };
    await expect(intake.recordHistory(input.id, history, other)).rejects.toMatchObject(refused);
    await expect(intake.finish(input.id, finish('failed'), other)).rejects.toMatchObject(refused);
    await expect(intake.start(input, other)).rejects.toMatchObject(refused);
    expect((await intake.view(input.id)).run.status).toBe('running');
  });

  it('refuses a success whose stages failed or never finished', async () => {
    const input = started();
    await intake.start(input, ci);
    await expect(intake.finish(input.id, finish('succeeded'), ci)).rejects.toMatchObject({
      code: 'FLOWLINE_RUN_CONFLICT',
      message: expect.stringContaining('never finished'),
    });
    await intake.updateStage(input.id, 'build', { status: 'succeeded' }, ci);
    await intake.updateStage(input.id, 'unit', { status: 'failed' }, ci);
    await expect(intake.finish(input.id, finish('succeeded'), ci)).rejects.toMatchObject({
      code: 'FLOWLINE_RUN_CONFLICT',
      message: expect.stringContaining('unit failed'),
    });
  });

  it("takes the trunk from the server's policy, not from the runner", async () => {
    const red = started();
    await intake.start(red, ci);
    await intake.finish(red.id, finish('failed'), ci);
    expect((await andon.status('shop')).state).toBe('red');
    // A passing run of another branch claims, through its own config, that its branch is the trunk.
    const claim = started({
      id: newId('run'),
      branch: 'attacker',
      config: CONFIG.replace('trunk: main', 'trunk: attacker'),
    });
    await intake.start(claim, ci);
    await passStages(claim.id);
    expect((await intake.finish(claim.id, finish('succeeded'), ci)).andon).toBeNull();
    expect((await andon.status('shop')).state).toBe('red');
  });
});
