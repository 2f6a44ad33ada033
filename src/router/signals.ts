/**
 * Golden signals per revision: request count, status classes, latency histogram. Each request is
 * recorded in O(1) into two rings of time slots (100 ms slots over 10 s for fast detection, 1 s
 * slots over 10 min for analysis windows) and into totals since the revision first served
 * (for `/metrics`). A slot's histogram is allocated on first use and reused when the ring wraps,
 * so an idle revision costs nothing and a busy one at most ~650 KB.
 */
import { type Clock, systemClock } from '../core/clock.js';
import { addInto, BUCKETS, bucketOf, newHistogram, quantileUs } from './histogram.js';

export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'error'] as const;
/** `error`: no usable answer from the instance (refused, reset, timed out, cut mid-body). */
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** Counter indexes: the five classes, then aborted-by-client and retried attempts. */
export const ERROR = 4;
export const ABORTED = 5;
export const RETRIED = 6;
const COUNTERS = 7;

/** The index into STATUS_CLASSES of an HTTP status. */
export function classOfStatus(status: number): number {
  return status >= 200 && status < 600 ? ((status / 100) | 0) - 2 : ERROR;
}

/** Upper bounds (seconds) of the `/metrics` latency histogram. */
export const PROMETHEUS_BOUNDS_S = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;
const PROMETHEUS_BOUNDS_US = PROMETHEUS_BOUNDS_S.map((s) => s * 1e6);

export interface SignalSummary {
  /** Requests answered (every status class, `error` included; client aborts excluded). */
  readonly requests: number;
  readonly ratePerSec: number;
  /** 5xx answers plus `error` (no usable answer). */
  readonly errors: number;
  /** errors / requests; null without requests (no data is not a pass). */
  readonly errorRate: number | null;
  readonly classes: Readonly<Record<StatusClass, number>>;
  /** Requests the client gave up on before the answer was complete. */
  readonly aborted: number;
  /** Attempts that failed before any answer byte and were retried on another instance. */
  readonly retried: number;
  /** Latency in milliseconds, from request received to the instance's last body byte. */
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly mean: number | null;
  /** The time the figures cover, in ms. */
  readonly windowMs: number;
}

export interface SlotSummary extends SignalSummary {
  /** Start of the slot, epoch ms. */
  readonly start: number;
}

export interface SlotEvent {
  readonly service: string;
  readonly environment: string;
  readonly revision: string;
  readonly slot: SlotSummary;
}

export interface SignalStoreOptions {
  readonly clock?: Clock;
  /** Default 100 ms × 100 slots. */
  readonly fineSlotMs?: number;
  readonly fineSlots?: number;
  /** Default 1000 ms × 600 slots. */
  readonly coarseSlotMs?: number;
  readonly coarseSlots?: number;
  /** Called when a subscriber throws (the other subscribers still run). */
  readonly onListenerError?: (error: unknown) => void;
}

interface Slot {
  n: number;
  readonly counts: Uint32Array;
  sumUs: number;
  readonly hist: Uint32Array;
}

class Ring {
  private readonly slots: (Slot | undefined)[];

  constructor(
    readonly slotMs: number,
    readonly size: number,
  ) {
    this.slots = new Array<Slot | undefined>(size);
  }

  /** The slot for time `now`, reset if it last held an older slot. */
  at(now: number): Slot {
    const n = Math.floor(now / this.slotMs);
    const i = n % this.size;
    let slot = this.slots[i];
    if (slot === undefined) {
      slot = { n, counts: new Uint32Array(COUNTERS), sumUs: 0, hist: newHistogram() };
      this.slots[i] = slot;
    } else if (slot.n !== n) {
      slot.n = n;
      slot.counts.fill(0);
      slot.sumUs = 0;
      slot.hist.fill(0);
    }
    return slot;
  }

  /** Slot number `n` if the ring still holds it. */
  peek(n: number): Slot | undefined {
    const slot = this.slots[n % this.size];
    return slot !== undefined && slot.n === n ? slot : undefined;
  }
}

/** The recorder of one revision; the router keeps a reference per backend, so recording needs no lookup. */
/** How many recent latencies each revision keeps for the judge (about 32 KiB per revision per array). */
const RECENT = 4096;

export class RevisionSignals {
  readonly fine: Ring;
  readonly coarse: Ring;
  readonly totals = {
    counts: new Float64Array(COUNTERS),
    sumUs: 0,
    hist: new Float64Array(BUCKETS),
    /** Non-cumulative counts per PROMETHEUS_BOUNDS_S bucket, the last one +Inf. */
    buckets: new Float64Array(PROMETHEUS_BOUNDS_S.length + 1),
  };
  readonly createdAt: number;
  lastAt: number;
  /**
   * The most recent answered requests' latencies (µs) and times (ms), for a statistical judge
   * that needs per-request samples rather than per-slot percentiles. Fixed size, O(1) to record.
   */
  readonly recent = { atMs: new Float64Array(RECENT), latencyUs: new Float64Array(RECENT), next: 0, size: 0 };
  /** Last fine slot number recorded into, and last one reported to subscribers. */
  lastFine = -1;
  emittedThrough = -1;

  constructor(
    readonly service: string,
    readonly environment: string,
    readonly revision: string,
    private readonly now: () => number,
    options: Required<Pick<SignalStoreOptions, 'fineSlotMs' | 'fineSlots' | 'coarseSlotMs' | 'coarseSlots'>>,
  ) {
    this.fine = new Ring(options.fineSlotMs, options.fineSlots);
    this.coarse = new Ring(options.coarseSlotMs, options.coarseSlots);
    this.createdAt = now();
    this.lastAt = this.createdAt;
  }

  /** Records one answered request: its class index (see classOfStatus) and latency in µs. */
  record(statusClass: number, latencyUs: number): void {
    const now = this.now();
    const bucket = bucketOf(latencyUs);
    const fine = this.fine.at(now);
    fine.counts[statusClass] = (fine.counts[statusClass] ?? 0) + 1;
    fine.sumUs += latencyUs;
    fine.hist[bucket] = (fine.hist[bucket] ?? 0) + 1;
    const coarse = this.coarse.at(now);
    coarse.counts[statusClass] = (coarse.counts[statusClass] ?? 0) + 1;
    coarse.sumUs += latencyUs;
    coarse.hist[bucket] = (coarse.hist[bucket] ?? 0) + 1;
    const totals = this.totals;
    totals.counts[statusClass] = (totals.counts[statusClass] ?? 0) + 1;
    totals.sumUs += latencyUs;
    totals.hist[bucket] = (totals.hist[bucket] ?? 0) + 1;
    let le = 0;
    while (le < PROMETHEUS_BOUNDS_US.length && latencyUs > (PROMETHEUS_BOUNDS_US[le] ?? 0)) le++;
    totals.buckets[le] = (totals.buckets[le] ?? 0) + 1;
    const recent = this.recent;
    recent.atMs[recent.next] = now;
    recent.latencyUs[recent.next] = latencyUs;
    recent.next = (recent.next + 1) % RECENT;
    recent.size = Math.min(RECENT, recent.size + 1);
    this.lastFine = fine.n;
    this.lastAt = now;
  }

  /** Latencies in ms of the recent requests answered within the last `windowMs`, oldest first. */
  latencies(windowMs: number): number[] {
    const from = this.now() - windowMs;
    const { atMs, latencyUs, next, size } = this.recent;
    const out: number[] = [];
    for (let i = 0; i < size; i++) {
      const k = (next - size + i + RECENT) % RECENT;
      if ((atMs[k] ?? 0) >= from) out.push((latencyUs[k] ?? 0) / 1000);
    }
    return out;
  }

  /** Counts an aborted request or a retried attempt (ABORTED or RETRIED). */
  count(counter: typeof ABORTED | typeof RETRIED): void {
    const now = this.now();
    const fine = this.fine.at(now);
    fine.counts[counter] = (fine.counts[counter] ?? 0) + 1;
    const coarse = this.coarse.at(now);
    coarse.counts[counter] = (coarse.counts[counter] ?? 0) + 1;
    this.totals.counts[counter] = (this.totals.counts[counter] ?? 0) + 1;
    this.lastFine = fine.n;
    this.lastAt = now;
  }
}

/** Sums slots into one summary covering `windowMs`. */
function summarise(slots: readonly Slot[], windowMs: number): SignalSummary {
  const counts = new Float64Array(COUNTERS);
  const hist = newHistogram();
  let sumUs = 0;
  for (const slot of slots) {
    for (let i = 0; i < COUNTERS; i++) counts[i] = (counts[i] ?? 0) + (slot.counts[i] ?? 0);
    sumUs += slot.sumUs;
    addInto(hist, slot.hist);
  }
  return summary(counts, sumUs, hist, windowMs);
}

function summary(counts: Float64Array, sumUs: number, hist: ArrayLike<number> | undefined, windowMs: number) {
  const c = (i: number) => counts[i] ?? 0;
  const requests = c(0) + c(1) + c(2) + c(3) + c(4);
  const errors = c(3) + c(4);
  const ms = (us: number | undefined) => (us === undefined ? null : us / 1000);
  return {
    requests,
    ratePerSec: windowMs > 0 ? (requests * 1000) / windowMs : 0,
    errors,
    errorRate: requests > 0 ? errors / requests : null,
    classes: { '2xx': c(0), '3xx': c(1), '4xx': c(2), '5xx': c(3), error: c(4) },
    aborted: c(ABORTED),
    retried: c(RETRIED),
    p50: hist === undefined ? null : ms(quantileUs(hist, requests, 0.5)),
    p95: hist === undefined ? null : ms(quantileUs(hist, requests, 0.95)),
    p99: hist === undefined ? null : ms(quantileUs(hist, requests, 0.99)),
    mean: requests > 0 ? sumUs / requests / 1000 : null,
    windowMs,
  } satisfies SignalSummary;
}

export interface SignalStore {
  /** The recorder of a revision, created on first use. */
  revision(service: string, environment: string, revision: string): RevisionSignals;
  /**
   * Signals over the last `windowMs` (rounded to whole slots, the current one included; 100 ms
   * slots up to 10 s, 1 s slots up to 10 min), or since the revision first served. Zero
   * requests and null rates for a revision never seen.
   */
  summary(
    service: string,
    environment: string,
    revision: string,
    options?: { windowMs?: number },
  ): SignalSummary;
  /** One summary per slot over the last `windowMs`, oldest first, empty slots included. */
  series(service: string, environment: string, revision: string, windowMs: number): SlotSummary[];
  /** Per-request latencies (ms) of the recent requests within `windowMs` (at most the last 4096). */
  latencies(service: string, environment: string, revision: string, windowMs: number): number[];
  subscribe(listener: (event: SlotEvent) => void): () => void;
  readonly subscribers: number;
  readonly fineSlotMs: number;
  /** Reports every fine slot closed since the last tick to the subscribers. */
  tick(): void;
  all(): Iterable<RevisionSignals>;
  /** Forgets revisions not in `keep` that have been idle longer than the coarse ring spans. */
  prune(keep: ReadonlySet<RevisionSignals>): void;
}

/** Creates the store of every revision's signals. */
export function createSignalStore(options: SignalStoreOptions = {}): SignalStore {
  const clock = options.clock ?? systemClock;
  const now = () => clock.now().getTime();
  const shape = {
    fineSlotMs: options.fineSlotMs ?? 100,
    fineSlots: options.fineSlots ?? 100,
    coarseSlotMs: options.coarseSlotMs ?? 1000,
    coarseSlots: options.coarseSlots ?? 600,
  };
  const byKey = new Map<string, RevisionSignals>();
  const listeners = new Set<(event: SlotEvent) => void>();
  const keyOf = (s: string, e: string, r: string) => `${s}\u0000${e}\u0000${r}`;

  /** The ring that answers a window (fine up to its span, else coarse) and the slot numbers covered. */
  const pick = (windowMs: number) => {
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${windowMs}`);
    const fine = windowMs <= shape.fineSlotMs * shape.fineSlots;
    const slotMs = fine ? shape.fineSlotMs : shape.coarseSlotMs;
    const span = Math.min(windowMs, slotMs * (fine ? shape.fineSlots : shape.coarseSlots));
    const t = now();
    const last = Math.floor(t / slotMs);
    const first = last - Math.max(1, Math.ceil(span / slotMs)) + 1;
    return { ringOf: (rs: RevisionSignals) => (fine ? rs.fine : rs.coarse), slotMs, t, first, last };
  };

  return {
    revision(service, environment, revision) {
      const key = keyOf(service, environment, revision);
      let rs = byKey.get(key);
      if (rs === undefined) {
        rs = new RevisionSignals(service, environment, revision, now, shape);
        byKey.set(key, rs);
      }
      return rs;
    },
    summary(service, environment, revision, { windowMs } = {}) {
      const rs = byKey.get(keyOf(service, environment, revision));
      if (windowMs === undefined) {
        if (rs === undefined) return summary(new Float64Array(COUNTERS), 0, undefined, 0);
        return summary(rs.totals.counts, rs.totals.sumUs, rs.totals.hist, Math.max(1, now() - rs.createdAt));
      }
      const { ringOf, slotMs, t, first, last } = pick(windowMs);
      const covered = Math.max(1, t - first * slotMs);
      if (rs === undefined) return summary(new Float64Array(COUNTERS), 0, undefined, covered);
      const ring = ringOf(rs);
      const slots: Slot[] = [];
      for (let n = first; n <= last; n++) {
        const slot = ring.peek(n);
        if (slot !== undefined) slots.push(slot);
      }
      return summarise(slots, covered);
    },
    latencies(service, environment, revision, windowMs) {
      return byKey.get(keyOf(service, environment, revision))?.latencies(windowMs) ?? [];
    },
    series(service, environment, revision, windowMs) {
      const rs = byKey.get(keyOf(service, environment, revision));
      const { ringOf, slotMs, t, first, last } = pick(windowMs);
      const out: SlotSummary[] = [];
      for (let n = first; n <= last; n++) {
        const slot = rs === undefined ? undefined : ringOf(rs).peek(n);
        const covered = n === last ? Math.max(1, t - n * slotMs) : slotMs;
        out.push({ ...summarise(slot === undefined ? [] : [slot], covered), start: n * slotMs });
      }
      return out;
    },
    subscribe(listener) {
      if (listeners.size === 0) {
        const current = Math.floor(now() / shape.fineSlotMs);
        for (const rs of byKey.values()) rs.emittedThrough = current - 1;
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    get subscribers() {
      return listeners.size;
    },
    fineSlotMs: shape.fineSlotMs,
    tick() {
      const current = Math.floor(now() / shape.fineSlotMs);
      for (const rs of byKey.values()) {
        const from = Math.max(rs.emittedThrough + 1, current - shape.fineSlots + 1);
        rs.emittedThrough = current - 1;
        if (listeners.size === 0 || rs.lastFine < from) continue;
        for (let n = from; n < current; n++) {
          const slot = rs.fine.peek(n);
          if (slot === undefined) continue;
          const event: SlotEvent = {
            service: rs.service,
            environment: rs.environment,
            revision: rs.revision,
            slot: { ...summarise([slot], shape.fineSlotMs), start: n * shape.fineSlotMs },
          };
          for (const listener of listeners) {
            try {
              listener(event);
            } catch (error) {
              options.onListenerError?.(error);
            }
          }
        }
      }
    },
    all: () => byKey.values(),
    prune(keep) {
      const idleBefore = now() - shape.coarseSlotMs * shape.coarseSlots;
      for (const [key, rs] of byKey) if (!keep.has(rs) && rs.lastAt < idleBefore) byKey.delete(key);
    },
  };
}
