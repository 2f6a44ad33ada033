import { afterAll, describe, expect, it } from 'vitest';
import { type HelloInstance, startHello } from '../../bench/lib/hello.js';
import { startLoad } from '../../bench/lib/load.js';
import { createRouter, type RouteSpec } from '../../src/router/index.js';

const HOST = 'production.hello.localhost';
const SWITCHES = 10;

/** A blue-green switch as the release controller does it: weights 0↔100, then drop the old revision. */
function route(backends: { revision: string; weight: number; instance: HelloInstance }[]): RouteSpec {
  return {
    service: 'hello',
    environment: 'production',
    backends: backends.map((b) => ({
      revision: b.revision,
      weight: b.weight,
      instances: [{ id: b.instance.id, url: b.instance.url }],
    })),
  };
}

describe('router: zero downtime', () => {
  const running = new Set<HelloInstance>();
  const router = createRouter();

  afterAll(async () => {
    await router.close({ graceMs: 1000 });
    await Promise.all([...running].map((i) => i.stop('SIGKILL')));
  });

  it('fails no request under load across 10 blue-green switches with drain and SIGTERM, and a rollback', async () => {
    const { port } = await router.listen({ port: 0 });
    // Start every revision's instance up front (in parallel) so the test spends its time switching.
    const instances = await Promise.all(
      Array.from({ length: SWITCHES + 1 }, (_, i) => startHello({ id: `r${i}-1` })),
    );
    for (const instance of instances) running.add(instance);
    let revision = 'r0';
    let current = instances[0] as HelloInstance;
    router.setRoute(HOST, route([{ revision, weight: 100, instance: current }]));

    const load = startLoad({
      url: `http://127.0.0.1:${port}/api/hello`,
      headers: { host: HOST },
      connections: 8,
      durationS: 30, // upper bound; stopped once the switches are done
      timeoutS: 5,
    });
    const served = (r: string) => router.signals('hello', 'production', r).requests;
    /** Waits until revision `r` answered `n` more requests: the load really flows through each switch. */
    const flowing = async (r: string, n = 20) => {
      const target = served(r) + n;
      const deadline = Date.now() + 5000;
      while (served(r) < target && Date.now() < deadline) await new Promise((done) => setTimeout(done, 5));
    };
    await flowing('r0');
    const exitCodes: (number | null)[] = [];
    let previous: { revision: string; instance: HelloInstance } | undefined;
    for (let i = 1; i <= SWITCHES; i++) {
      const next = instances[i] as HelloInstance;
      const nextRevision = `r${i}`;
      router.setRoute(
        HOST,
        route([
          { revision, weight: 0, instance: current },
          { revision: nextRevision, weight: 100, instance: next },
        ]),
      );
      await flowing(nextRevision);
      if (i === SWITCHES) {
        // Keep the last blue warm for the rollback below.
        previous = { revision, instance: current };
      } else {
        router.setRoute(HOST, route([{ revision: nextRevision, weight: 100, instance: next }]));
        await router.drain(current.id);
        exitCodes.push(await current.stop('SIGTERM'));
        running.delete(current);
      }
      revision = nextRevision;
      current = next;
    }
    // Rollback: all traffic back to the warm previous revision, then stop the bad one.
    if (previous === undefined) throw new Error('no previous revision');
    router.setRoute(HOST, route([{ revision: previous.revision, weight: 100, instance: previous.instance }]));
    await router.drain(current.id);
    exitCodes.push(await current.stop('SIGTERM'));
    running.delete(current);
    await flowing(previous.revision);
    load.stop();
    const result = await load.done;

    expect(result.failures).toEqual({});
    expect(result.failed).toBe(0);
    expect(result.requests).toBeGreaterThanOrEqual(20 * (SWITCHES + 1)); // 20 at least per revision, see flowing()
    expect(exitCodes).toEqual(Array.from({ length: SWITCHES }, () => 0)); // every old instance drained cleanly
    for (let i = 0; i <= SWITCHES; i++) {
      const s = router.signals('hello', 'production', `r${i}`);
      expect(s.requests, `r${i} served`).toBeGreaterThan(0);
      // Draining, not retrying, is what kept every request whole.
      expect(s.retried, `r${i} retried`).toBe(0);
    }
    expect(router.signals('hello', 'production', 'r9').errors).toBe(0);
  });
});
