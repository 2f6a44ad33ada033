/**
 * Instances and their keep-alive connection pools (undici `Pool`, one per instance), with the
 * count of requests in flight that `drain` waits on. A pool lives while a route refers to its
 * instance or a request is still in flight to it; then it closes gracefully.
 */
import { Pool } from 'undici';
import type { InstanceSpec } from './types.js';

/** The live state of one instance (an id at one URL). */
export interface Instance {
  readonly id: string;
  readonly url: string;
  readonly pool: Pool;
  inFlight: number;
  /** No route refers to it any more; the pool closes when the last request ends. */
  retired: boolean;
}

export interface UpstreamOptions {
  readonly connections: number;
  readonly headersTimeoutMs: number;
}

export class Upstreams {
  /** By id, then by URL: an id restarted on another port keeps both until the old one drains. */
  private readonly byId = new Map<string, Map<string, Instance>>();
  private readonly waiters = new Map<Instance, (() => void)[]>();

  constructor(private readonly options: UpstreamOptions) {}

  /** The instance for a spec, created (with its pool) on first use. */
  acquire(spec: InstanceSpec): Instance {
    let urls = this.byId.get(spec.id);
    if (urls === undefined) {
      urls = new Map();
      this.byId.set(spec.id, urls);
    }
    let instance = urls.get(spec.url);
    if (instance === undefined) {
      const pool = new Pool(spec.url, {
        connections: this.options.connections,
        pipelining: 1,
        // Below node:http's 5 s server keep-alive, so we never reuse a socket the instance is closing.
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 4_000,
        headersTimeout: this.options.headersTimeoutMs,
        bodyTimeout: 300_000,
      });
      instance = { id: spec.id, url: spec.url, pool, inFlight: 0, retired: false };
      urls.set(spec.url, instance);
    }
    instance.retired = false;
    return instance;
  }

  /** Marks every instance not in `live` as retired, closing those with nothing in flight. */
  retainOnly(live: ReadonlySet<Instance>): void {
    for (const urls of this.byId.values()) {
      for (const instance of urls.values()) {
        if (live.has(instance)) continue;
        instance.retired = true;
        if (instance.inFlight === 0) this.dispose(instance);
      }
    }
  }

  /** A request starts on the instance. */
  begin(instance: Instance): void {
    instance.inFlight++;
  }

  /** A request on the instance ended (answered, failed or aborted). */
  end(instance: Instance): void {
    instance.inFlight--;
    if (instance.inFlight > 0) return;
    const waiting = this.waiters.get(instance);
    if (waiting !== undefined) {
      this.waiters.delete(instance);
      for (const resolve of waiting) resolve();
    }
    if (instance.retired) this.dispose(instance);
  }

  inFlight(id: string): number {
    let total = 0;
    for (const instance of this.byId.get(id)?.values() ?? []) total += instance.inFlight;
    return total;
  }

  /** Resolves when nothing is in flight to any instance with this id. */
  async drain(id: string): Promise<void> {
    const busy = [...(this.byId.get(id)?.values() ?? [])].filter((i) => i.inFlight > 0);
    await Promise.all(
      busy.map(
        (instance) =>
          new Promise<void>((resolve) => {
            const list = this.waiters.get(instance) ?? [];
            list.push(resolve);
            this.waiters.set(instance, list);
          }),
      ),
    );
  }

  /** Every instance with its state, for gauges. */
  *all(): Iterable<Instance> {
    for (const urls of this.byId.values()) yield* urls.values();
  }

  /** Closes every pool: gracefully, or at once when `force`. */
  async closeAll(force: boolean): Promise<void> {
    const pools = [...this.all()].map((i) => i.pool);
    this.byId.clear();
    await Promise.all(pools.map((p) => (force ? p.destroy() : p.close()).catch(() => undefined)));
  }

  private dispose(instance: Instance): void {
    const urls = this.byId.get(instance.id);
    if (urls?.get(instance.url) !== instance) return;
    urls.delete(instance.url);
    if (urls.size === 0) this.byId.delete(instance.id);
    instance.pool.close().catch(() => undefined);
  }
}
