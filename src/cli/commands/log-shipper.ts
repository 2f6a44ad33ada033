import { setTimeout as sleep } from 'node:timers/promises';
import { isFlowlineError } from '../../core/errors.js';
import type { RunRecordClient } from '../backend/runs.js';

/** What the shipper needs of the server. */
export type LogSink = Pick<RunRecordClient, 'appendLog' | 'uploadLog'>;

export interface LogShipperOptions {
  /** A stage's lines are sent once this many bytes wait… */
  readonly batchBytes?: number;
  /** …or this long after the first of them arrived, whichever comes first. */
  readonly intervalMs?: number;
  /**
   * The most bytes waiting across stages. A stage whose line would go past it stops streaming:
   * its log is uploaded whole when it ends. Memory stays bounded whatever the server's speed.
   */
  readonly maxQueuedBytes?: number;
  /** Attempts of one batch when the server cannot be reached (the retry is written once). */
  readonly attempts?: number;
  /** Called once, with the first failure; nothing more is sent after it. */
  readonly onError: (error: unknown) => void;
}

interface StageQueue {
  chunks: string[];
  bytes: number;
  /** The server's log size, as its last answer gave it. */
  offset: number;
  /** The queue overflowed: the whole file goes up when the stage ends. */
  whole: boolean;
  finished: boolean;
}

/**
 * Streams stage logs to the server while the stages run, off the run's critical path: `add`
 * only queues (the run never waits for the network), and one request at a time sends each
 * stage's queued lines, in order, at the offset the server last returned. The lines are those
 * the local log file received (StageLog), so the server's copy ends byte-identical to it.
 */
export class LogShipper {
  readonly #stages = new Map<string, StageQueue>();
  readonly #batchBytes: number;
  readonly #intervalMs: number;
  readonly #maxQueuedBytes: number;
  readonly #attempts: number;
  #queued = 0;
  #open = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> = Promise.resolve();
  #pumping = false;

  constructor(
    private readonly sink: LogSink,
    private readonly runId: string,
    private readonly options: LogShipperOptions,
  ) {
    this.#batchBytes = options.batchBytes ?? 64 * 1024;
    this.#intervalMs = options.intervalMs ?? 500;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? 4 * 1024 * 1024;
    this.#attempts = options.attempts ?? 3;
  }

  /** The server knows the run now: sending may start. */
  open(): void {
    this.#open = true;
    this.#schedule();
  }

  /** Queues a chunk appended to a stage's log file (whole lines, as written). */
  add(stage: string, chunk: string): void {
    if (this.#stopped) return;
    const queue = this.#queue(stage);
    if (queue.whole || queue.finished) return;
    const bytes = Buffer.byteLength(chunk);
    if (this.#queued + bytes > this.#maxQueuedBytes) {
      // The server is slower than the output: stop streaming this stage, free what it holds.
      queue.whole = true;
      this.#queued -= queue.bytes;
      queue.chunks = [];
      queue.bytes = 0;
      return;
    }
    queue.chunks.push(chunk);
    queue.bytes += bytes;
    this.#queued += bytes;
    this.#schedule(queue.bytes >= this.#batchBytes);
  }

  /**
   * The stage ended and its log is closed: sends what is queued, or the whole file when the
   * queue overflowed. Resolves once the server holds the whole log (or after a failure, which
   * went to `onError`).
   */
  async finish(stage: string, file: string | null): Promise<void> {
    const queue = this.#queue(stage);
    if (queue.finished) return;
    queue.finished = true;
    while (this.#open && !this.#stopped && queue.bytes > 0) {
      this.#kick();
      await this.#sending;
    }
    if (this.#stopped || !queue.whole || file === null) return;
    await this.sink.uploadLog(this.runId, stage, file).catch((error: unknown) => this.#fail(error));
  }

  /** Stops sending: nothing queued goes out after this. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopped = true;
  }

  #queue(stage: string): StageQueue {
    let queue = this.#stages.get(stage);
    if (queue === undefined) {
      queue = { chunks: [], bytes: 0, offset: 0, whole: false, finished: false };
      this.#stages.set(stage, queue);
    }
    return queue;
  }

  #schedule(now = false): void {
    if (!this.#open || this.#stopped) return;
    if (now) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#kick();
    } else if (this.#timer === undefined && this.#queued > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#kick();
      }, this.#intervalMs);
      this.#timer.unref();
    }
  }

  /** Starts a pass over the queues unless one is going (it picks up what arrived meanwhile). */
  #kick(): void {
    if (!this.#open || this.#pumping) return;
    this.#pumping = true;
    this.#sending = this.#pump().finally(() => {
      this.#pumping = false;
      this.#schedule();
    });
  }

  /** Sends a batch of each stage in turn (a chatty stage cannot starve the others) until none waits. */
  async #pump(): Promise<void> {
    for (;;) {
      const waiting = [...this.#stages].filter(([, q]) => q.bytes > 0);
      if (waiting.length === 0) return;
      for (const [stage, queue] of waiting) {
        if (this.#stopped) return;
        if (queue.bytes === 0) continue;
        // Whole chunks up to the batch size: a batch always ends at the end of a line.
        let bytes = 0;
        let count = 0;
        while (count < queue.chunks.length && (count === 0 || bytes < this.#batchBytes)) {
          bytes += Buffer.byteLength(queue.chunks[count] ?? '');
          count += 1;
        }
        try {
          queue.offset = (
            await this.#append(stage, queue.offset, queue.chunks.slice(0, count).join(''))
          ).offset;
        } catch (error) {
          this.#fail(error);
          return;
        }
        if (queue.whole) continue; // overflowed while this batch was on its way: dropped already
        queue.chunks.splice(0, count);
        queue.bytes -= bytes;
        this.#queued -= bytes;
      }
    }
  }

  /** One batch; sent again when the server could not be reached (it keeps one copy). */
  async #append(stage: string, offset: number, batch: string): Promise<{ offset: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sink.appendLog(this.runId, stage, offset, batch);
      } catch (error) {
        const transient = isFlowlineError(error) && error.code === 'FLOWLINE_SERVER_UNREACHABLE';
        if (!transient || attempt >= this.#attempts) throw error;
        await sleep(250 * 2 ** attempt);
      }
    }
  }

  #fail(error: unknown): void {
    if (this.#stopped) return;
    this.close();
    this.options.onError(error);
  }
}
