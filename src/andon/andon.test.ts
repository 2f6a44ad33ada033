import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuditLog, createAuditLog } from '../audit/index.js';
import { type Catalog, createCatalog } from '../catalog/index.js';
import { tempStore } from '../store/testing.js';
import { type Andon, createAndon } from './index.js';

let t: Awaited<ReturnType<typeof tempStore>>;
let andon: Andon;
let audit: AuditLog;
let catalog: Catalog;
const where = { host: 'h' };
const alice = { actor: { kind: 'user' as const, name: 'alice' }, role: 'read' as const, where };
const admin = { actor: { kind: 'user' as const, name: 'root' }, role: 'admin' as const, where };
const ci = { kind: 'ci' as const, name: 'github-actions' };

beforeEach(async () => {
  t = await tempStore();
  audit = createAuditLog({ store: t.store, clock: t.clock });
  catalog = createCatalog({ store: t.store, clock: t.clock });
  andon = createAndon({ store: t.store, audit, clock: t.clock });
  await catalog.ensureService('shop');
});
afterEach(async () => {
  await t.cleanup();
});

async function trunkRun(passed: boolean) {
  const run = await catalog.startRun({ service: 'shop', where });
  await andon.recordTrunkRun({
    service: 'shop',
    runId: run.id,
    passed,
    detail: 'unit failed',
    actor: ci,
    where,
  });
  return run.id;
}

describe('the andon cord', () => {
  it('starts green, turns red on a failed trunk run and green on the next passing one, auditing each change', async () => {
    expect(await andon.status('shop')).toMatchObject({ state: 'green', cause: null });
    const failed = await trunkRun(false);
    expect(await andon.status('shop')).toMatchObject({
      state: 'red',
      cause: 'run',
      runId: failed,
      reason: 'unit failed',
    });
    t.clock.advance(1000);
    await trunkRun(false); // still red: the first failure stays the cause
    expect(await andon.status('shop')).toMatchObject({ runId: failed, since: '2026-01-01T00:00:00.000Z' });
    const passed = await trunkRun(true);
    expect(await andon.status('shop')).toMatchObject({ state: 'green', runId: passed });
    const events = await audit.list({ action: 'andon' });
    expect(events.map((e) => [e.action, e.actor.name, e.target])).toEqual([
      ['andon.green', 'github-actions', 'service:shop'],
      ['andon.red', 'github-actions', 'service:shop'],
    ]);
  });

  it('refuses promotions while red, naming the failed run and how to release', async () => {
    await andon.assertGreen('shop');
    const failed = await trunkRun(false);
    const error = await andon.assertGreen('shop').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'FLOWLINE_ANDON_RED',
      message: expect.stringContaining(`run ${failed} failed (unit failed)`),
      hint: expect.stringContaining('flowline andon release --service shop --reason'),
    });
  });

  it('lets anyone pull the cord, keeps it red through passing runs, and lets only an admin release it', async () => {
    const pulled = await andon.pull('shop', 'payments are double-charging', alice);
    expect(pulled).toMatchObject({ changed: true, status: { state: 'red', cause: 'pull', actor: 'alice' } });
    await trunkRun(true);
    expect((await andon.status('shop')).state).toBe('red');
    await expect(andon.assertGreen('shop')).rejects.toThrow(
      /alice pulled the andon cord: payments are double-charging/,
    );

    await expect(andon.release('shop', 'fixed', alice)).rejects.toMatchObject({ code: 'FLOWLINE_FORBIDDEN' });
    const released = await andon.release('shop', 'hotfix deployed', admin);
    expect(released).toMatchObject({
      changed: true,
      status: { state: 'green', cause: 'release', actor: 'root' },
    });
    expect(await andon.release('shop', 'again', admin)).toMatchObject({ changed: false });
    const [release] = await audit.list({ action: 'andon.release' });
    expect(release?.details).toMatchObject({ reason: 'hotfix deployed', state: 'green', was: 'red' });
  });

  it('needs a reason to pull or release, and a known service', async () => {
    await expect(andon.pull('shop', '  ', alice)).rejects.toMatchObject({ code: 'FLOWLINE_USAGE' });
    await expect(andon.release('shop', '', admin)).rejects.toMatchObject({ code: 'FLOWLINE_USAGE' });
    await expect(andon.status('nope')).rejects.toMatchObject({ code: 'FLOWLINE_NOT_FOUND' });
  });

  it('lists every service with its state', async () => {
    await catalog.ensureService('api');
    await trunkRun(false);
    expect((await andon.list()).map((s) => [s.service, s.state])).toEqual([
      ['api', 'green'],
      ['shop', 'red'],
    ]);
  });
});
