import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Andon, createAndon } from '../andon/index.js';
import { trunkOf } from '../app/policy.js';
import { createArtifactStore } from '../artifacts/index.js';
import { type AuditLog, createAuditLog } from '../audit/index.js';
import { type Catalog, createCatalog } from '../catalog/index.js';
import { newId } from '../core/ids.js';
import { createPolicies } from '../policy/index.js';
import { createQualityRecords } from '../quality/index.js';
import { tempStore } from '../store/testing.js';
import { createRunIntake, type RemoteRunStart, type RunIntake } from './intake.js';
import { createRunReaper, type RunReaper } from './reaper.js';

let t: Awaited<ReturnType<typeof tempStore>>;
let intake: RunIntake;
let reaper: RunReaper;
let andon: Andon;
let audit: AuditLog;
let catalog: Catalog;
const ci = { actor: { kind: 'token' as const, name: 'ci-bot' }, tokenId: 'tok_ci' };
const CONFIG =
  'version: 1\nservice: shop\nbuild: { command: make, inputs: ["src/**"], output: dist }\npipeline: { trunk: main }\n';
const flowline = { kind: 'user' as const, name: 'flowline' };
const where = { host: 'runner-7' };
const TIMEOUT = 10 * 60_000;

beforeEach(async () => {
  t = await tempStore();
  audit = createAuditLog({ store: t.store, clock: t.clock });
  catalog = createCatalog({ store: t.store, clock: t.clock });
  andon = createAndon({ store: t.store, audit, clock: t.clock });
  const artifacts = createArtifactStore({ root: path.join(t.dir, 'artifacts'), clock: t.clock });
  const policies = createPolicies({ store: t.store, audit, clock: t.clock });
  const deps = {
    store: t.store,
    catalog,
    audit,
    andon,
    artifacts,
    clock: t.clock,
    home: t.dir,
    trunkOf: trunkOf(policies),
    quality: createQualityRecords({ store: t.store, audit, clock: t.clock }),
  };
  intake = createRunIntake(deps);
  reaper = createRunReaper({ ...deps, timeoutMs: TIMEOUT, actor: flowline });
});
afterEach(async () => {
  await t.cleanup();
});

function started(overrides: Partial<RemoteRunStart> = {}): RemoteRunStart {
  return {
    id: newId('run'),
    service: 'shop',
    branch: 'main',
    commit: null,
    where,
    startedAt: t.clock.now().toISOString(),
    nodes: [
      { name: 'build', kind: 'build' },
      { name: 'unit', kind: 'stage' },
      { name: 'e2e', kind: 'stage' },
    ],
    config: CONFIG,
    only: null,
    ...overrides,
  };
}

describe('reaping runs whose runner stopped reporting', () => {
  it('marks a silent trunk run failed with the reason, fails its running stages, and turns the andon red', async () => {
    const input = started();
    await intake.start(input, ci);
    await intake.updateStage(input.id, 'build', { status: 'succeeded' }, ci);
    await intake.updateStage(input.id, 'unit', { status: 'running' }, ci);
    const lastHeard = t.clock.now().toISOString();
    t.clock.advance(TIMEOUT - 1);
    expect(await reaper.reap()).toEqual([]);
    t.clock.advance(1);
    expect(await reaper.reap()).toEqual([input.id]);

    const reason = `the runner stopped reporting at ${lastHeard}: its CI job was probably killed`;
    const { run, stages } = await intake.view(input.id);
    expect(run).toMatchObject({ status: 'failed', finishedAt: t.clock.now().toISOString() });
    expect(stages.map((s) => [s.name, s.status, s.reason])).toEqual([
      ['build', 'succeeded', null],
      ['unit', 'failed', reason],
      ['e2e', 'cancelled', reason],
    ]);
    expect(await andon.status('shop')).toMatchObject({ state: 'red', runId: input.id, reason });
    const [event] = await audit.list({ target: `run:${input.id}`, action: 'run.reap' });
    expect(event).toMatchObject({ actor: flowline, details: { failed: ['unit'], reason } });
    expect(await reaper.reap()).toEqual([]);
  });

  it('refuses a late message from the reaped run with FLOWLINE_RUN_REAPED', async () => {
    const input = started();
    await intake.start(input, ci);
    t.clock.advance(TIMEOUT);
    await reaper.reap();
    await expect(intake.heartbeat(input.id, ci)).rejects.toMatchObject({
      code: 'FLOWLINE_RUN_REAPED',
      message: expect.stringContaining('its CI job was probably killed'),
    });
    await expect(
      intake.appendLog(input.id, 'unit', 0, Readable.from(['+1.000s late\n']), ci),
    ).rejects.toMatchObject({ code: 'FLOWLINE_RUN_REAPED' });
  });

  it('counts every message, heartbeats included, as a sign of life', async () => {
    const input = started();
    await intake.start(input, ci);
    t.clock.advance(TIMEOUT - 1000);
    await intake.heartbeat(input.id, ci);
    t.clock.advance(TIMEOUT - 1000);
    await intake.appendLog(input.id, 'unit', 0, Readable.from(['+1.000s still here\n']), ci);
    t.clock.advance(TIMEOUT - 1000);
    expect(await reaper.reap()).toEqual([]);
    expect((await intake.view(input.id)).run.status).toBe('running');
  });

  it('leaves the andon alone for a partial or non-trunk run, and never reaps a local run', async () => {
    const partial = started({ only: ['unit'] });
    const branch = started({ branch: 'feature/x' });
    await intake.start(partial, ci);
    await intake.start(branch, ci);
    const local = await catalog.startRun({ service: 'shop', branch: 'main', where });
    t.clock.advance(TIMEOUT);
    expect((await reaper.reap()).sort()).toEqual([partial.id, branch.id].sort());
    expect((await andon.status('shop')).state).toBe('green');
    expect((await catalog.findRun(local.id))?.status).toBe('running');
  });
});
