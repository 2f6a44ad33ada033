import { describe, expect, it } from 'vitest';
import { type SchedulableNode, type Settled, schedule } from './schedule.js';

interface TestNode extends SchedulableNode {
  readonly outcome?: 'succeeded' | 'failed';
}

const node = (name: string, needs: string[] = [], extra: Partial<TestNode> = {}): TestNode => ({
  name,
  needs,
  continueOnFailure: false,
  ...extra,
});

/**
 * Runs nodes that finish when the test says so (`finish(name)`), recording the order of events,
 * so ordering and overlap are asserted without any timing.
 */
function harness(
  nodes: TestNode[],
  options: { maxParallel?: number; cancelOnFailure?: boolean; signal?: AbortSignal } = {},
) {
  const events: string[] = [];
  const waiting = new Map<string, (settled: Settled) => void>();
  const started: string[] = [];
  let onStart: (() => void) | undefined;
  const result = schedule({
    nodes,
    maxParallel: options.maxParallel ?? 10,
    cancelOnFailure: options.cancelOnFailure ?? true,
    signal: options.signal,
    run: (n, signal) =>
      new Promise<Settled>((resolve) => {
        events.push(`start ${n.name}`);
        started.push(n.name);
        waiting.set(n.name, resolve);
        signal.addEventListener('abort', () => {
          events.push(`abort ${n.name}`);
          resolve({ status: 'cancelled', reason: String(signal.reason) });
        });
        onStart?.();
      }),
    onSettled: (n, settled) => events.push(`${settled.status} ${n.name}`),
  });
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  return {
    events,
    result,
    started,
    async finish(name: string, status: 'succeeded' | 'failed' = 'succeeded') {
      await tick();
      const resolve = waiting.get(name);
      if (resolve === undefined) throw new Error(`${name} is not running (events: ${events.join(', ')})`);
      waiting.delete(name);
      events.push(`end ${name}`);
      resolve({ status });
      await tick();
    },
    running: () => [...waiting.keys()],
    tick,
    set onStart(fn: () => void) {
      onStart = fn;
    },
  };
}

describe('schedule', () => {
  it('starts independent nodes together and a dependent node only after its needs', async () => {
    const h = harness([node('build'), node('lint'), node('unit', ['build']), node('e2e', ['build', 'unit'])]);
    await h.tick();
    expect(h.running()).toEqual(['build', 'lint']);
    await h.finish('build');
    expect(h.running()).toEqual(['lint', 'unit']);
    await h.finish('unit');
    await h.finish('lint');
    await h.finish('e2e');
    const { results, failed } = await h.result;
    expect(failed).toBe(false);
    expect([...results.values()].every((r) => r.status === 'succeeded')).toBe(true);
  });

  it('runs at most maxParallel nodes at once, in plan order', async () => {
    const h = harness([node('a'), node('b'), node('c'), node('d')], { maxParallel: 2 });
    await h.tick();
    expect(h.running()).toEqual(['a', 'b']);
    await h.finish('b');
    expect(h.running()).toEqual(['a', 'c']);
    await h.finish('a');
    await h.finish('c');
    await h.finish('d');
    await h.result;
    expect(h.started).toEqual(['a', 'b', 'c', 'd']);
  });

  it('skips the dependents of a failed node and, with cancelOnFailure, cancels what runs and what waits', async () => {
    const h = harness([node('build'), node('slow'), node('unit', ['build']), node('later', ['slow'])]);
    await h.tick();
    await h.finish('build', 'failed');
    const { results, failed } = await h.result;
    expect(failed).toBe(true);
    expect(results.get('unit')).toEqual({ status: 'skipped', reason: 'needs `build`, which failed' });
    expect(results.get('slow')).toEqual({ status: 'cancelled', reason: 'cancelled: `build` failed' });
    expect(results.get('later')).toEqual({ status: 'cancelled', reason: 'cancelled: `build` failed' });
  });

  it('lets independent nodes finish when cancelOnFailure is off', async () => {
    const h = harness([node('a'), node('b'), node('c', ['a']), node('d', ['b'])], { cancelOnFailure: false });
    await h.tick();
    await h.finish('a', 'failed');
    expect(h.running()).toEqual(['b']);
    await h.finish('b');
    await h.finish('d');
    const { results } = await h.result;
    expect(results.get('c')?.status).toBe('skipped');
    expect(results.get('d')?.status).toBe('succeeded');
  });

  it('does not fail the run or block dependents for a continueOnFailure node', async () => {
    const h = harness([node('flaky', [], { continueOnFailure: true }), node('after', ['flaky'])]);
    await h.tick();
    await h.finish('flaky', 'failed');
    await h.finish('after');
    const { results, failed } = await h.result;
    expect(failed).toBe(false);
    expect(results.get('after')?.status).toBe('succeeded');
  });

  it('cancels everything when its signal aborts (Ctrl-C)', async () => {
    const controller = new AbortController();
    const h = harness([node('a'), node('b', ['a'])], { signal: controller.signal });
    await h.tick();
    controller.abort();
    const { results, cancelled, failed } = await h.result;
    expect({ cancelled, failed }).toEqual({ cancelled: true, failed: false });
    expect(results.get('a')).toEqual({ status: 'cancelled', reason: 'cancelled: the run was interrupted' });
    expect(results.get('b')?.status).toBe('cancelled');
  });

  it('skips nodes caught in a cycle instead of hanging', async () => {
    const h = harness([node('ok'), node('a', ['b']), node('b', ['a']), node('c', ['missing'])]);
    await h.finish('ok');
    const { results } = await h.result;
    expect(results.get('a')).toEqual({ status: 'skipped', reason: 'its needs form a cycle' });
    expect(results.get('b')?.status).toBe('skipped');
    expect(results.get('c')).toEqual({
      status: 'skipped',
      reason: 'needs `missing`, which is not in the run',
    });
  });
});
