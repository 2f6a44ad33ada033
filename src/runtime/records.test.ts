import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempStore } from '../store/testing.js';
import { RuntimeRecords } from './records.js';
import type { RevisionSpec } from './types.js';

let env: Awaited<ReturnType<typeof tempStore>>;
let records: RuntimeRecords;
beforeEach(async () => {
  env = await tempStore();
  records = new RuntimeRecords(env.store, env.clock);
});
afterEach(() => env.cleanup());

const spec: RevisionSpec = {
  service: 'hello',
  environment: 'staging',
  revision: '3f2a',
  workdir: '/artifacts/3f2a',
  command: 'node server.js',
  portEnv: 'PORT',
  instances: 2,
  env: { LOG_LEVEL: 'info' },
  secrets: { API_TOKEN: 'super-secret-value' },
  health: {
    path: '/healthz',
    interval: 1000,
    timeout: 500,
    startPeriod: 10_000,
    successThreshold: 1,
    failureThreshold: 3,
  },
  shutdown: { signal: 'SIGTERM', gracePeriod: 10_000 },
  logDir: '/logs',
};

describe('runtime records', () => {
  it('record a revision and its instances as starting before anything runs, keeping secret names but not values', async () => {
    const created = await records.createRevision('hello-staging-3f2a', spec, 'me');
    expect(created.map((i) => [i.id, i.logFile])).toEqual([
      ['hello-staging-3f2a-1', '/logs/hello-staging-3f2a-1.log'],
      ['hello-staging-3f2a-2', '/logs/hello-staging-3f2a-2.log'],
    ]);
    expect(created[0]?.nonce).not.toBe(created[1]?.nonce);
    const [live] = await records.liveRevisions();
    expect(live?.row.state).toBe('starting');
    expect(live?.instances.map((i) => [i.state, i.pid, i.restarts])).toEqual([
      ['starting', null, 0],
      ['starting', null, 0],
    ]);
    expect(live?.spec.secretNames).toEqual(['API_TOKEN']);
    const everything = JSON.stringify(
      await env.store.db.selectFrom('runtime_revisions').selectAll().execute(),
    );
    expect(everything).not.toContain('super-secret-value');
  });

  it('leave stopped revisions out of the live ones, and replace one when its key starts again', async () => {
    await records.createRevision('hello-staging-3f2a', spec, 'me');
    await records.updateInstance('hello-staging-3f2a-1', { state: 'stopped' });
    expect((await records.liveRevisions())[0]?.instances.map((i) => i.id)).toEqual(['hello-staging-3f2a-2']);
    await records.updateRevision('hello-staging-3f2a', { state: 'stopped' });
    expect(await records.liveRevisions()).toEqual([]);

    await records.createRevision('hello-staging-3f2a', { ...spec, instances: 1 }, 'me');
    const rows = await env.store.db.selectFrom('instances').select('id').execute();
    expect(rows.map((r) => r.id)).toEqual(['hello-staging-3f2a-1']);
  });

  it('forget revisions stopped more than a week ago when another starts', async () => {
    await records.createRevision('hello-staging-old', spec, 'me');
    await records.updateRevision('hello-staging-old', { state: 'stopped' });
    env.clock.advance(8 * 24 * 3600_000);
    await records.createRevision('hello-staging-new', spec, 'me');
    const keys = await env.store.db.selectFrom('runtime_revisions').select('key').execute();
    expect(keys.map((k) => k.key)).toEqual(['hello-staging-new']);
  });

  it('refuse a state the runtime does not know', async () => {
    await records.createRevision('hello-staging-3f2a', spec, 'me');
    // @ts-expect-error: not a state
    await expect(records.updateInstance('hello-staging-3f2a-1', { state: 'zombie' })).rejects.toThrow(
      /CHECK/,
    );
  });
});
