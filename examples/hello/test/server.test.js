import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Every test starts the real server as a child process on a free port (PORT=0). */

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const running = new Set();

after(() => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `node <entry>` and resolves once it prints the port it listens on.
 * @param {Record<string, string>} env
 */
async function start(env = {}, entry = path.join(root, 'src', 'server.js')) {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let output = '';
  const exited = once(child, 'exit');
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on port (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${output}`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    /** @returns {Promise<number | null>} */
    exitCode: async () => (await exited)[0],
  };
}

/** @param {string} url @param {RequestInit} [init] */
async function getJson(url, init) {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

describe('the hello service', () => {
  it('refuses to start without PORT and says how to set it', () => {
    let failure;
    try {
      execFileSync(process.execPath, [path.join(root, 'src', 'server.js')], {
        env: { PATH: process.env.PATH ?? '' },
        stdio: 'pipe',
      });
    } catch (error) {
      failure = error;
    }
    assert.equal(failure?.status, 2);
    assert.match(String(failure?.stderr), /PORT must be set/);
  });

  it('answers the health check with 200 and status ok', async () => {
    const server = await start();
    assert.deepEqual(await getJson(`${server.url}/healthz`), { status: 200, body: { status: 'ok' } });
  });

  it('reports artifact and instance from the environment on /version', async () => {
    const server = await start({ FLOWLINE_ARTIFACT: 'sha256:abc', FLOWLINE_INSTANCE: 'staging-1' });
    const { status, body } = await getJson(`${server.url}/version`);
    assert.equal(status, 200);
    assert.equal(body.service, 'hello');
    assert.equal(body.revision, 'unknown');
    assert.equal(body.artifact, 'sha256:abc');
    assert.equal(body.instance, 'staging-1');
    assert.ok(!Number.isNaN(Date.parse(body.startedAt)));
  });

  it('greets with the revision that answered, in HTML and JSON', async () => {
    const server = await start({ FLOWLINE_INSTANCE: 'i-7' });
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /hello .*revision unknown.* on i-7/);
    const { body } = await getJson(`${server.url}/api/hello?name=Ada`);
    assert.deepEqual(body, { message: 'Hello, Ada!', revision: 'unknown', instance: 'i-7' });
  });

  it('answers 404 for an unknown route', async () => {
    const server = await start();
    assert.equal((await getJson(`${server.url}/nope`)).status, 404);
  });

  it('fails every request but health when FAULT_ERROR_RATE=1', async () => {
    const server = await start({ FAULT_ERROR_RATE: '1' });
    assert.equal((await getJson(`${server.url}/api/hello`)).status, 500);
    assert.equal((await getJson(`${server.url}/healthz`)).status, 200);
  });

  it('fails the health check when FAULT_UNHEALTHY=1', async () => {
    const server = await start({ FAULT_UNHEALTHY: '1' });
    assert.deepEqual(await getJson(`${server.url}/healthz`), { status: 503, body: { status: 'unhealthy' } });
  });

  it('delays answers by FAULT_LATENCY_MS but not the health check', async () => {
    const server = await start({ FAULT_LATENCY_MS: '300' });
    const began = performance.now();
    await fetch(`${server.url}/version`);
    assert.ok(performance.now() - began >= 290, 'the request was not delayed');
    const { status } = await getJson(`${server.url}/healthz`);
    assert.equal(status, 200);
  });

  it('simulates WORK_MS of work on API requests but not on the health check', async () => {
    const server = await start({ WORK_MS: '200' });
    const began = performance.now();
    assert.equal((await getJson(`${server.url}/api/hello`)).status, 200);
    // Log-normal with median 200 ms and σ 0.5: below 20 ms once in 500,000 requests (z < -4.6).
    assert.ok(performance.now() - began >= 20, 'the request did no simulated work');
    assert.equal((await getJson(`${server.url}/healthz`)).status, 200);
  });

  it('refuses a slowdown without simulated work to slow down, at start and at runtime', async () => {
    let failure;
    try {
      execFileSync(process.execPath, [path.join(root, 'src', 'server.js')], {
        env: { PATH: process.env.PATH ?? '', PORT: '0', FAULT_SLOWDOWN: '0.2' },
        stdio: 'pipe',
      });
    } catch (error) {
      failure = error;
    }
    assert.equal(failure?.status, 2);
    assert.match(String(failure?.stderr), /slowdown scales the simulated work: set WORK_MS/);
    const server = await start();
    const res = await getJson(`${server.url}/admin/fault`, { method: 'POST', body: '{"slowdown":0.2}' });
    assert.equal(res.status, 400);
    assert.match(res.body.error, /set WORK_MS/);
  });

  it('turns faults on and off at runtime through /admin/fault', async () => {
    const server = await start();
    const post = (body) =>
      getJson(`${server.url}/admin/fault`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.deepEqual((await post({ errorRate: 1 })).body, {
      errorRate: 1,
      latencyMs: 0,
      slowdown: 0,
      unhealthy: false,
    });
    assert.equal((await getJson(`${server.url}/version`)).status, 500);
    assert.deepEqual((await getJson(`${server.url}/admin/fault`)).body.errorRate, 1);
    await post({ errorRate: 0 });
    assert.equal((await getJson(`${server.url}/version`)).status, 200);
    const bad = await post({ errorRate: 3 });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /errorRate/);
  });

  it('requires the admin token for /admin/fault when ADMIN_TOKEN is set', async () => {
    const server = await start({ ADMIN_TOKEN: 's3cret' });
    assert.equal((await getJson(`${server.url}/admin/fault`)).status, 401);
    const allowed = await getJson(`${server.url}/admin/fault`, {
      headers: { authorization: 'Bearer s3cret' },
    });
    assert.equal(allowed.status, 200);
  });

  it('finishes an in-flight request on SIGTERM, refuses new ones, and exits 0', async () => {
    const server = await start({ FAULT_LATENCY_MS: '500' });
    const inFlight = fetch(`${server.url}/version`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    server.child.kill('SIGTERM');
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal((await res.json()).service, 'hello');
    assert.equal(await server.exitCode(), 0);
    await assert.rejects(fetch(`${server.url}/healthz`));
  });

  it('crashes on purpose after FAULT_CRASH_AFTER_MS', async () => {
    const server = await start({ FAULT_CRASH_AFTER_MS: '200' });
    assert.notEqual(await server.exitCode(), 0);
    assert.match(server.output(), /crashing on purpose/);
  });
});

describe('the build', () => {
  it('writes a runnable artifact that reports the git revision', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'hello-dist-'));
    try {
      execFileSync(process.execPath, [path.join(root, 'scripts', 'build.js'), '--out', out], {
        stdio: 'pipe',
      });
      const info = JSON.parse(readFileSync(path.join(out, 'build-info.json'), 'utf8'));
      assert.equal(info.service, 'hello');
      assert.match(info.revision, /^([0-9a-f]{40}|unknown)$/);
      const server = await start({}, path.join(out, 'server.js'));
      const { body } = await getJson(`${server.url}/version`);
      assert.equal(body.revision, info.revision);
      assert.equal(body.version, info.version);
      server.child.kill('SIGTERM');
      assert.equal(await server.exitCode(), 0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
