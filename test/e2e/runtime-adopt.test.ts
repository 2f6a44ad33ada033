import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createLocalRuntime,
  type InstanceStatus,
  type RevisionHandle,
  type RevisionSpec,
  type Runtime,
} from '../../src/runtime/index.js';
import { openStore } from '../../src/store/index.js';
import { tempStore } from '../../src/store/testing.js';
import { signalGroup } from './helpers.js';
import { getJson, helloSpec, isRunning, until } from './runtime-helpers.js';

/**
 * Flowline killed with SIGKILL: a driver process (the built runtime, in its own node process)
 * starts a revision and is killed; a new runtime on the same store adopts or cleans up.
 */

const DRIVER = path.join(import.meta.dirname, 'fixtures', 'runtime-driver.mjs');
const cleanups: (() => Promise<void>)[] = [];
const seen = new Set<number>();

interface Driver {
  child: ChildProcess;
  progress: InstanceStatus[];
  started: Promise<RevisionHandle>;
  kill(): Promise<void>;
}

function startDriver(file: string, spec: RevisionSpec): Driver {
  const child = spawn(process.execPath, [DRIVER, file, JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const progress: InstanceStatus[] = [];
  let buffer = '';
  const started = new Promise<RevisionHandle>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const [kind, json] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
        if (kind === 'progress') {
          const status = JSON.parse(json) as InstanceStatus;
          if (status.pid !== null) seen.add(status.pid);
          progress.push(status);
        } else if (kind === 'started') resolve(JSON.parse(json) as RevisionHandle);
        else reject(new Error(`driver: ${line}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`driver exited with ${code}`)));
  });
  started.catch(() => {});
  const kill = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  cleanups.push(kill);
  return { child, progress, started, kill };
}

async function setup(): Promise<{ file: string; logDir: string; runtime(): Runtime }> {
  const env = await tempStore();
  const runtimes: Runtime[] = [];
  cleanups.push(async () => {
    for (const rt of runtimes) await rt.close({ stopInstances: true });
    // Whatever a failed test left in this store (the driver is dead by now): adopt it, then stop it.
    const sweeper = createLocalRuntime({ store: env.store, workRoot: path.join(env.dir, 'work') });
    await sweeper.adopt();
    await sweeper.close({ stopInstances: true });
    await env.cleanup();
  });
  return {
    file: env.file,
    logDir: path.join(env.dir, 'logs'),
    runtime() {
      const rt = createLocalRuntime({
        store: env.store,
        hostEnv: { PATH: process.env.PATH },
        workRoot: path.join(env.dir, 'work'),
      });
      runtimes.push(rt);
      return rt;
    },
  };
}

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  expect(seen.size).toBeGreaterThan(0);
  await until(() => [...seen].every((pid) => !isRunning(pid)), 5000, 'no orphaned instance');
});

describe('after Flowline is killed with SIGKILL', () => {
  it('a new runtime adopts the live instances, which kept serving, once the old process is gone', async () => {
    const { file, logDir, runtime } = await setup();
    const driver = startDriver(file, helloSpec(logDir, { instances: 2 }));
    const handle = await driver.started;

    const early = await runtime().adopt();
    expect(early.adopted).toEqual([]);
    expect(early.skipped).toEqual([
      { revisionKey: handle.key, reason: `supervised by the live Flowline process ${driver.child.pid}` },
    ]);

    await driver.kill();
    for (const instance of handle.instances) {
      expect((await getJson(`${instance.url}/version`)).body.instance).toBe(instance.id);
    }
    const rt = runtime();
    const report = await rt.adopt();
    expect(report.adopted.map((s) => [s.id, s.pid, s.port, s.state])).toEqual(
      handle.instances.map((i) => [i.id, i.pid, i.port, 'healthy']),
    );
    expect(report.cleaned).toEqual([]);
    expect((await rt.status()).length).toBe(2);

    // Supervised again: an adopted instance that dies is restarted, now as this process's child.
    const [first] = handle.instances;
    const restarted = new Promise<InstanceStatus>((resolve) =>
      rt.onChange((s) => s.id === first?.id && s.state === 'healthy' && resolve(s)),
    );
    signalGroup(first?.pid, 'SIGKILL');
    const again = await restarted;
    seen.add(again.pid ?? 0);
    expect(again.restarts).toBe(1);
    expect(again.pid).not.toBe(first?.pid);
    expect(again.lastExit).toBe('exited (it was adopted, so its exit code is unknown)');
    expect((await getJson(`${again.url}/version`)).body.instance).toBe(first?.id);

    await rt.stop(handle.key);
    for (const instance of [...handle.instances, again]) expect(isRunning(instance.pid ?? 0)).toBe(false);
  });

  it('does not restart an adopted instance whose secrets it was not given', async () => {
    const { file, logDir, runtime } = await setup();
    const driver = startDriver(file, helloSpec(logDir, { secrets: { API_TOKEN: 't0ken' } }));
    const handle = await driver.started;
    await driver.kill();
    const rt = runtime();
    expect((await rt.adopt()).adopted.length).toBe(1);
    const crashed = new Promise<InstanceStatus>((resolve) =>
      rt.onChange((s) => s.state === 'crashed' && resolve(s)),
    );
    signalGroup(handle.instances[0]?.pid, 'SIGKILL');
    expect((await crashed).lastError).toBe(
      'exited (it was adopted, so its exit code is unknown); not restarted: its secrets (API_TOKEN) were not given to adopt()',
    );
  });

  it('stops a revision left by a dead Flowline without adopting it, but not one a live Flowline supervises', async () => {
    const { file, logDir, runtime } = await setup();
    const spec = helloSpec(logDir);
    const driver = startDriver(file, spec);
    const handle = await driver.started;
    const rt = runtime();
    await expect(rt.stop(handle.key)).rejects.toThrow(
      `revision ${handle.key} is supervised by another live Flowline process (pid ${driver.child.pid})`,
    );
    await expect(rt.start(spec)).rejects.toMatchObject({ code: 'FLOWLINE_REVISION_RUNNING' });

    await driver.kill();
    await rt.stop(handle.key);
    expect(isRunning(handle.instances[0]?.pid ?? 0)).toBe(false);
    expect(await rt.adopt()).toMatchObject({ adopted: [], cleaned: [] });
  });

  it('forgets an instance whose process died meanwhile, and adopts the rest', async () => {
    const { file, logDir, runtime } = await setup();
    const driver = startDriver(file, helloSpec(logDir, { instances: 2 }));
    const handle = await driver.started;
    await driver.kill();
    const [dead, alive] = handle.instances;
    signalGroup(dead?.pid, 'SIGKILL');
    await until(() => !isRunning(dead?.pid ?? 0), 5000, 'the instance to die');

    const report = await runtime().adopt();
    expect(report.adopted.map((s) => s.id)).toEqual([alive?.id]);
    expect(report.cleaned).toEqual([{ id: dead?.id, reason: `its process ${dead?.pid} is gone` }]);
    expect(report.revisions).toEqual([{ key: handle.key, expected: 2, running: 1 }]);
  });

  it('finds and kills an instance whose pid was never recorded', async () => {
    const { file, logDir, runtime } = await setup();
    const driver = startDriver(file, helloSpec(logDir));
    const handle = await driver.started;
    await driver.kill();
    const [instance] = handle.instances;
    // As if Flowline died between spawning the process and writing its pid.
    const store = await openStore({ file });
    await store.write((tx) =>
      tx
        .updateTable('instances')
        .set({ pid: null, pgid: null, proc_start: null })
        .where('id', '=', instance?.id ?? '')
        .execute(),
    );
    await store.close();

    const report = await runtime().adopt();
    expect(report.cleaned).toEqual([
      { id: instance?.id, reason: 'its process id was never recorded (Flowline stopped while spawning it)' },
    ]);
    expect(isRunning(instance?.pid ?? 0)).toBe(false);
  });

  it('cleans up a revision that was still starting when Flowline died', async () => {
    const { file, logDir, runtime } = await setup();
    const spec = helloSpec(logDir, {
      env: { FAULT_UNHEALTHY: '1' },
      health: { ...helloSpec(logDir).health, startPeriod: 30_000 },
    });
    const driver = startDriver(file, spec);
    await until(() => driver.progress.some((s) => s.pid !== null), 10_000, 'the instance to be spawned');
    const pid = driver.progress.find((s) => s.pid !== null)?.pid ?? 0;
    await driver.kill();
    expect(isRunning(pid)).toBe(true);

    const report = await runtime().adopt();
    expect(report.adopted).toEqual([]);
    expect(report.cleaned).toEqual([
      { id: `hello-test-${spec.revision}-1`, reason: 'its revision never finished starting' },
    ]);
    expect(isRunning(pid)).toBe(false);
  });

  it('stops an instance that is alive but fails its health check', async () => {
    const { file, logDir, runtime } = await setup();
    const driver = startDriver(file, helloSpec(logDir));
    const handle = await driver.started;
    await driver.kill();
    const [instance] = handle.instances;
    await fetch(`${instance?.url}/admin/fault`, { method: 'POST', body: '{"unhealthy":true}' });

    const report = await runtime().adopt();
    expect(report.cleaned).toEqual([
      { id: instance?.id, reason: 'its health check fails: GET /healthz → 503' },
    ]);
    expect(isRunning(instance?.pid ?? 0)).toBe(false);
  });
});
