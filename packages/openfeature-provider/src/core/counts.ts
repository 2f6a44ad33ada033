import type { ResolvedOptions } from './options.js';
import { type CountEntry, postCounts } from './transport.js';

/**
 * Most flag/variant pairs kept while the server is away. Evaluations only count flags of the set,
 * so this is reached only across many set versions during a long outage; beyond it, evaluations
 * of pairs not yet pending are not counted (pairs already pending still are).
 */
export const MAX_PENDING_PAIRS = 10_000;
/** Entries per request; the server takes up to 1,000. */
const BATCH = 500;
/**
 * Entries per keepalive request: browsers cap the bodies of requests that outlive the page at
 * 64 KiB in all, and an entry is well under 200 bytes.
 */
const KEEPALIVE_BATCH = 250;

/**
 * Evaluation counts of a provider: counted in memory (a map increment, no I/O per evaluation)
 * and sent to `POST …/evaluations` every `countsFlushIntervalMs` and on close. A failed send keeps
 * the counts for the next one; nothing here throws into the app.
 */
export class EvaluationCounts {
  readonly #options: ResolvedOptions;
  /** flag → variant → count. */
  #pending = new Map<string, Map<string, number>>();
  #pairs = 0;
  /** Evaluations not counted because MAX_PENDING_PAIRS was reached, reported once sent. */
  #overflow = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #flushing: Promise<void> | undefined;
  /** Why the server takes no counts from this provider (token refused, endpoint missing). */
  #off: string | undefined;

  constructor(options: ResolvedOptions) {
    this.#options = options;
  }

  /** Counts one evaluation that served `variant`. */
  count(flag: string, variant: string, by = 1): void {
    let variants = this.#pending.get(flag);
    const current = variants?.get(variant);
    if (current !== undefined && variants !== undefined) {
      variants.set(variant, current + by);
      return;
    }
    if (this.#off !== undefined) return;
    if (this.#pairs >= MAX_PENDING_PAIRS) {
      this.#overflow += by;
      return;
    }
    if (variants === undefined) {
      variants = new Map();
      this.#pending.set(flag, variants);
    }
    variants.set(variant, by);
    this.#pairs++;
  }

  /** Evaluations counted and not yet sent. */
  get pending(): number {
    let total = 0;
    for (const variants of this.#pending.values()) for (const count of variants.values()) total += count;
    return total;
  }

  /** Starts sending every `countsFlushIntervalMs`; idempotent. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.flush(), this.#options.countsFlushIntervalMs);
    // In Node, a pending flush must not keep the process alive; browsers have no unref.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /**
   * Sends what was counted so far; resolves when done. Never rejects. `keepalive` (a page being
   * hidden) asks the browser to finish the requests even if the page goes away.
   */
  flush(options: { keepalive?: boolean } = {}): Promise<void> {
    this.#flushing ??= this.#send(options.keepalive === true).finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Stops the timer and sends what is left (one last try: a failure loses those counts). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    await this.flush();
  }

  async #send(keepalive: boolean): Promise<void> {
    if (this.#pending.size === 0 || this.#off !== undefined) return;
    const entries: CountEntry[] = [];
    for (const [flag, variants] of this.#pending)
      for (const [variant, count] of variants) entries.push({ flag, variant, count });
    this.#pending = new Map();
    this.#pairs = 0;
    const logger = this.#options.logger;
    try {
      const batch = keepalive ? KEEPALIVE_BATCH : BATCH;
      for (let start = 0; start < entries.length; start += batch) {
        const outcome = await postCounts(this.#options, entries.slice(start, start + batch), keepalive);
        if (outcome.kind === 'retry') {
          logger.debug(`evaluation counts not sent (${outcome.problem}); kept for the next try`);
          for (const entry of entries.slice(start)) this.count(entry.flag, entry.variant, entry.count);
          return;
        }
        if (outcome.kind === 'off') {
          this.#off = outcome.problem;
          logger.warn(`the server takes no evaluation counts (${outcome.problem}); counting stopped`);
          return;
        }
        if (outcome.kind === 'drop') logger.error(`evaluation counts refused, dropped: ${outcome.problem}`);
      }
      if (this.#overflow > 0) {
        logger.warn(
          `${this.#overflow} evaluation(s) were not counted: more than ${MAX_PENDING_PAIRS} flag/variant pairs were waiting to be sent`,
        );
        this.#overflow = 0;
      }
    } catch (error) {
      // postCounts never throws; this guards the promise the app's timers hold.
      logger.error('sending evaluation counts failed unexpectedly', error);
    }
  }
}
