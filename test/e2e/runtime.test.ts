import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { isFlowlineError } from '../../src/core/errors.js';
import { createLocalRuntime, freePort, type InstanceStatus, type Runtime } from '../../src/runtime/index.js';
import type { LocalRuntimeOptions } from '../../src/runtime/local.js';
import { groupMembers } from '../../src/runtime/proc.js';
import { tempStore } from '../../src/store/testing.js';
import { getJson, HELLO_SRC, helloSpec, isRunning, NODE, until } from './runtime-helpers.js';

/** The local runtime against real processes of the example service. */

let env: Awaited<ReturnType<typeof tempStore>>;
let logDir: string;
const runtimes: Runtime[] = [];
/** Every pid an instance ever had: none may outlive the tests. */
const seen = new Set<number>();
/** Failures the runtime could only report (state writes in the background): there must be none. */
const backgroundErrors: unknown[] = [];

function runtime(options: Partial<LocalRuntimeOptions> = {}): Runtime {
  const rt = createLocalRuntime({
    store: env.store,
    hostEnv: { PATH: process.env.PATH, HOME: process.env.HOME, FLOWLINE_TEST_LEAK: 'leaked' },
    backoff: { initialMs: 200, maxMs: 1000 },
    workRoot: path.join(env.dir, 'work'),
    onError: (error) => backgroundErrors.push(error),
    ...options,
  });
  rt.onChange((s) => s.pid !== null && seen.add(s.pid));
  runtimes.push(rt);
  return rt;
}

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isFlowlineError(error)) throw new Error(`expected a FlowlineError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  env = await tempStore();
  logDir = path.join(env.dir, 'logs');
});

afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.close({ stopInstances: true });
  expect(backgroundErrors).toEqual([]);
});

afterAll(async () => {
  await until(() => [...seen].every((pid) => !isRunning(pid)), 5000, 'every instance process to be gone');
  expect(seen.size).toBeGreaterThan(0);
  await env.cleanup();
});

describe('the local runtime', () => {
  it('starts two healthy instances on distinct ports, each knowing who it is, with a clean environment', async () => {
    const rt = runtime();
    const spec = helloSpec(logDir, {
      instances: 2,
      command: `env; exec ${NODE} server.js`,
      secrets: { API_TOKEN: 's3cr3t-v4lue' },
    });
    const progress: string[] = [];
    const handle = await rt.start(spec, { onProgress: (s) => progress.push(`${s.id}:${s.state}`) });

    expect(handle.instances.map((i) => i.state)).toEqual(['healthy', 'healthy']);
    const [a, b] = handle.instances;
    expect(a?.port).not.toBe(b?.port);
    expect(progress).toContain(`${a?.id}:healthy`);
    for (const instance of handle.instances) {
      const { body } = await getJson(`${instance.url}/version`);
      expect(body.instance).toBe(instance.id);
      expect(instance.id).toBe(`hello-test-${spec.revision}-${instance === a ? 1 : 2}`);
    }
    const log = await readFile(a?.logFile ?? '', 'utf8');
    expect(log).toContain(`PORT=${a?.port}`);
    expect(log).toContain('FLOWLINE_SERVICE=hello');
    expect(log).toContain(`FLOWLINE_REVISION=${spec.revision}`);
    expect(log).toMatch(/^PATH=/m);
    expect(log).not.toContain('FLOWLINE_TEST_LEAK');
    expect(log).toContain('listening on port');
    const rows = JSON.stringify(await env.store.db.selectFrom('runtime_revisions').selectAll().execute());
    expect(rows).toContain('API_TOKEN');
    expect(rows).not.toContain('s3cr3t-v4lue');
    expect((await rt.status({ revision: spec.revision })).map((s) => s.state)).toEqual([
      'healthy',
      'healthy',
    ]);
  });

  it('fails with FLOWLINE_DEPLOY_UNHEALTHY when health never passes, and leaves no process behind', async () => {
    const rt = runtime();
    const pids: number[] = [];
    const spec = helloSpec(logDir, {
      instances: 2,
      env: { FAULT_UNHEALTHY: '1' },
      health: { ...helloSpec(logDir).health, startPeriod: 1000 },
    });
    const error = await failure(rt.start(spec, { onProgress: (s) => s.pid !== null && pids.push(s.pid) }));

    expect(error.code).toBe('FLOWLINE_DEPLOY_UNHEALTHY');
    expect(error.message).toMatch(
      /^instance hello-test-\S+-[12] did not become healthy within 1s: last check GET \/healthz → 503/,
    );
    expect(error.message).toContain('listening on port');
    expect(pids.length).toBeGreaterThanOrEqual(2);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    expect(await rt.status()).toEqual([]);
    const states = await env.store.db
      .selectFrom('instances')
      .select('state')
      .where('revision', '=', spec.revision)
      .execute();
    expect(states.map((r) => r.state)).toEqual(['stopped', 'stopped']);
  });

  it('says so when the command is not found', async () => {
    const error = await failure(runtime().start(helloSpec(logDir, { command: 'no-such-program --serve' })));
    expect(error.code).toBe('FLOWLINE_RUNTIME_COMMAND_NOT_FOUND');
    expect(error.message).toContain('its command was not found (exited with code 127)');
    expect(error.message).toMatch(/no-such-program: not found/);
  });

  it('reports an instance that crashes while starting, with the last lines of its log and no secret in them', async () => {
    const spec = helloSpec(logDir, {
      command: 'echo "token is $API_TOKEN"; exit 3',
      secrets: { API_TOKEN: 'pa55w0rd' },
    });
    const error = await failure(runtime().start(spec));
    expect(error.code).toBe('FLOWLINE_DEPLOY_UNHEALTHY');
    expect(error.message).toContain('did not become healthy: it stopped while starting (exited with code 3)');
    expect(error.message).toContain('token is ***');
    expect(error.message).not.toContain('pa55w0rd');
  });

  it('refuses a spec it cannot run, naming each problem', async () => {
    const spec = helloSpec(logDir, {
      instances: 0,
      workdir: path.join(HELLO_SRC, 'missing'),
      portEnv: 'not a name',
    });
    const error = await failure(runtime().start(spec));
    expect(error.code).toBe('FLOWLINE_RUNTIME_SPEC_INVALID');
    expect(error.message).toMatch(
      /instances must be 1 or more; port env `not a name`.*; the artifact folder .*missing does not exist/,
    );
  });

  describe('with a port taken by another process', () => {
    let blocker: net.Server;
    let taken: number;
    beforeAll(async () => {
      blocker = net.createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => blocker.listen(0, resolve));
      taken = (blocker.address() as net.AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    it('starts the instance again on another port when its first port was grabbed', async () => {
      let calls = 0;
      const rt = runtime({ allocatePort: async () => (++calls === 1 ? taken : freePort()) });
      const handle = await rt.start(helloSpec(logDir));
      const [instance] = handle.instances;
      expect(instance?.port).not.toBe(taken);
      expect(instance?.restarts).toBe(0);
      expect(await readFile(instance?.logFile ?? '', 'utf8')).toMatch(/EADDRINUSE/);
      expect((await getJson(`${instance?.url}/healthz`)).status).toBe(200);
    });

    it('gives up with FLOWLINE_PORT_IN_USE when every port it gets is taken', async () => {
      const error = await failure(runtime({ allocatePort: async () => taken }).start(helloSpec(logDir)));
      expect(error.code).toBe('FLOWLINE_PORT_IN_USE');
      expect(error.message).toContain('taken by another process, 3 times in a row');
      expect(error.message).toMatch(/EADDRINUSE/);
    });
  });

  // The delays themselves are timed on the manual clock in src/runtime/backoff.test.ts; here the
  // status says which delay the runtime chose, so nothing depends on how fast this machine is.
  it('restarts a crashed instance with growing delays and counts the restarts', async () => {
    const rt = runtime();
    const events: InstanceStatus[] = [];
    rt.onChange((s) => events.push(s));
    const spec = helloSpec(logDir, { env: { FAULT_CRASH_AFTER_MS: '600' } });
    await rt.start(spec);
    await until(() => events.filter((e) => e.state === 'restarting').length >= 2, 10_000, 'two restarts');

    const crashes = events.filter((e) => e.state === 'crashed').slice(0, 2);
    expect(crashes.map((e) => e.lastError)).toEqual([
      'exited with code 70; restarting in 200ms',
      'exited with code 70; restarting in 400ms',
    ]);
    const restarts = events.filter((e) => e.state === 'restarting').slice(0, 2);
    expect(restarts.map((e) => e.restarts)).toEqual([1, 2]);
    const [status] = await rt.status({ revision: spec.revision });
    expect(status?.lastExit).toBe('exited with code 70');
    expect(status?.restarts).toBeGreaterThanOrEqual(2);
  });

  it('starts the backoff over once a restarted instance stayed healthy long enough (manual clock)', async () => {
    const clock = createManualClock();
    const rt = runtime({ clock, backoff: { initialMs: 200, maxMs: 1000, resetAfterMs: 250 } });
    const crashes: (string | null)[] = [];
    let healthy = 0;
    rt.onChange((s) => {
      // The first restart stays healthy "long enough" on the runtime's clock; the second does not.
      if (s.state === 'healthy' && ++healthy === 2) clock.advance(250);
      if (s.state === 'crashed') crashes.push(s.lastError);
    });
    await rt.start(helloSpec(logDir, { env: { FAULT_CRASH_AFTER_MS: '600' } }));
    await until(() => crashes.length >= 3, 15_000, 'three crashes');
    expect(crashes.slice(0, 3)).toEqual([
      'exited with code 70; restarting in 200ms',
      'exited with code 70; restarting in 200ms', // without the reset: 400ms
      'exited with code 70; restarting in 400ms',
    ]);
  });

  it('marks an instance unhealthy when its checks fail, and healthy again when they pass', async () => {
    const rt = runtime();
    const states: string[] = [];
    rt.onChange((s) => states.push(s.state));
    const { instances } = await rt.start(helloSpec(logDir));
    const fault = (unhealthy: boolean) =>
      fetch(`${instances[0]?.url}/admin/fault`, { method: 'POST', body: JSON.stringify({ unhealthy }) });
    await fault(true);
    await until(() => states.at(-1) === 'unhealthy', 5000, 'unhealthy');
    expect((await rt.status())[0]?.lastError).toBe('GET /healthz → 503');
    await fault(false);
    await until(() => states.at(-1) === 'healthy', 5000, 'healthy again');
  });

  it('stops gracefully: SIGTERM, the service drains and exits 0', async () => {
    const rt = runtime();
    const states: InstanceStatus[] = [];
    rt.onChange((s) => states.push(s));
    const { key, instances } = await rt.start(helloSpec(logDir));
    await rt.stop(key);

    expect(states.map((s) => s.state).slice(-2)).toEqual(['stopping', 'stopped']);
    expect(states.at(-1)?.lastExit).toBe('exited with code 0');
    expect(await readFile(instances[0]?.logFile ?? '', 'utf8')).toContain(
      'hello: SIGTERM, finishing in-flight requests',
    );
    expect(isRunning(instances[0]?.pid ?? 0)).toBe(false);
    expect(await rt.status()).toEqual([]);
    await rt.stop(key); // stopping twice does nothing
  });

  it('kills the whole process group with SIGKILL when part of it ignores SIGTERM past the grace period', async () => {
    const rt = runtime();
    const spec = helloSpec(logDir, { command: `trap '' TERM; ${NODE} server.js & sleep 1000` });
    const { key, instances } = await rt.start(spec);
    const pgid = instances[0]?.pid ?? 0;
    const members = groupMembers(pgid);
    expect(members.length).toBe(3); // sh, node, sleep
    for (const pid of members) seen.add(pid);

    // That SIGKILL waits for the whole grace period is checked on virtual time in proc.test.ts.
    await rt.stop(key, { graceMs: 500 });
    expect(
      (
        await env.store.db
          .selectFrom('instances')
          .select('last_exit')
          .where('id', '=', instances[0]?.id ?? '')
          .executeTakeFirst()
      )?.last_exit,
    ).toBe('killed by SIGKILL');
    for (const pid of members) expect(isRunning(pid)).toBe(false);
  });

  it('returns the running revision when asked to start it again, and refuses a second start meanwhile or another command under its key', async () => {
    const rt = runtime();
    const spec = helloSpec(logDir);
    const both = await Promise.allSettled([rt.start(spec), rt.start(spec)]);
    const [first] = both.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = both.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(refused).toEqual([
      `FlowlineError: revision hello-test-${spec.revision} is being started already.`,
    ]);
    const again = await rt.start(spec);
    expect(again.instances.map((i) => i.pid)).toEqual(first?.instances.map((i) => i.pid));
    const error = await failure(rt.start({ ...spec, command: `${spec.command} --other` }));
    expect(error.code).toBe('FLOWLINE_REVISION_RUNNING');
  });

  it('leaves instances running on close without stopping them, for another runtime to adopt', async () => {
    const first = runtime();
    const spec = helloSpec(logDir, { instances: 2 });
    const { instances } = await first.start(spec);
    await first.close({ stopInstances: false });
    for (const i of instances) expect(isRunning(i.pid ?? 0)).toBe(true);

    const second = runtime();
    const report = await second.adopt();
    expect(report.adopted.map((s) => s.id)).toEqual(instances.map((i) => i.id));
    expect(report.revisions).toEqual([{ key: `hello-test-${spec.revision}`, expected: 2, running: 2 }]);
    expect((await getJson(`${instances[1]?.url}/version`)).body.instance).toBe(instances[1]?.id);
    await second.close({ stopInstances: true });
    for (const i of instances) expect(isRunning(i.pid ?? 0)).toBe(false);
  });
});
