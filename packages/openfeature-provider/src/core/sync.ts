import { GeneralError, ProviderFatalError } from '@openfeature/core';
import { type CompiledFlagSet, compileFlagSet } from '../engine.js';
import { backoffDelay } from './backoff.js';
import { changedFlags } from './diff.js';
import type { ResolvedOptions } from './options.js';
import type { SseEvent } from './sse.js';
import { type FlagSetPayload, fetchFlagSet, readPayload, readStream } from './transport.js';

/** The flag set being served. */
export interface FlagState {
  readonly flagSet: CompiledFlagSet;
  readonly version: number;
  readonly etag: string;
}

/** What the sync reports; the providers turn these into OpenFeature events. */
export interface SyncListener {
  /** Serving again after STALE, or a first set arrived after `start()` failed. */
  ready(): void;
  /** The stream has been down longer than the grace period; the last set is still served. */
  stale(message: string): void;
  /** `fatal`: no set was ever received and none will be (the token is refused). */
  error(message: string, fatal: boolean): void;
  /** A new version changed the answers of these flags. */
  changed(flagKeys: string[]): void;
}

/**
 * Keeps a compiled flag set current: fetches it, then follows the event stream, reconnecting
 * with backoff and `Last-Event-ID` for as long as it runs. Browser-safe (fetch, timers, streams).
 *
 * The first fetch is retried with backoff too: `start()` rejects after `initTimeoutMs` (the SDK
 * then reports ERROR) but the sync keeps trying and calls `ready()` when a set arrives.
 */
export class FlagSync {
  readonly #options: ResolvedOptions;
  readonly #listener: SyncListener;
  #state: FlagState | undefined;
  #lastEventId: string | undefined;
  #fatal: string | undefined;
  #problem = 'not started';
  #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #staleTimer: ReturnType<typeof setTimeout> | undefined;
  #stale = false;
  /** `start()` failed, or STALE was reported: the next good news is reported as `ready()`. */
  #owesReady = false;

  constructor(options: ResolvedOptions, listener: SyncListener) {
    this.#options = options;
    this.#listener = listener;
  }

  /** The set being served; undefined until the first one arrived. */
  get state(): FlagState | undefined {
    return this.#state;
  }

  /** Why no set is available, for evaluations answered with an error. */
  get problem(): { readonly message: string; readonly fatal: boolean } {
    return { message: this.#fatal ?? this.#problem, fatal: this.#fatal !== undefined };
  }

  /**
   * Starts syncing. Resolves once a first flag set is served; rejects with ProviderFatalError when
   * the token is refused, or with GeneralError after `initTimeoutMs` without a set.
   */
  start(): Promise<void> {
    if (this.#loop !== undefined) throw new Error('this Flowline provider is already running');
    this.#stopping = new AbortController();
    this.#fatal = undefined;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        this.#owesReady = true;
        reject(new GeneralError(`no flag set within ${this.#options.initTimeoutMs} ms: ${this.#problem}`));
      }, this.#options.initTimeoutMs);
      const first = (fatal: string | undefined) => {
        clearTimeout(timer);
        if (!settled) {
          settled = true;
          if (fatal === undefined) resolve();
          else reject(new ProviderFatalError(fatal));
        } else if (fatal !== undefined) {
          this.#listener.error(fatal, true);
        } else {
          this.#readyAgain();
        }
      };
      this.#loop = this.#run(first).catch((error: unknown) => {
        this.#options.logger.error('flag sync stopped unexpectedly', error);
      });
    });
  }

  /** Stops syncing and closes the stream; the last set stays readable. */
  async close(): Promise<void> {
    this.#stopping.abort(new Error('provider closed'));
    clearTimeout(this.#staleTimer);
    this.#staleTimer = undefined;
    await this.#loop;
    this.#loop = undefined;
  }

  async #run(first: (fatal: string | undefined) => void): Promise<void> {
    let attempt = 0;
    while (this.#state === undefined) {
      const outcome = await fetchFlagSet(this.#options);
      if (this.#stopped) return;
      if (outcome.kind === 'set' && this.#apply(outcome.payload)) break;
      if (outcome.kind === 'fatal') {
        this.#fatal = outcome.problem;
        first(outcome.problem);
        return;
      }
      if (outcome.kind === 'retry') this.#problem = outcome.problem;
      this.#options.logger.debug(`flag set not available (${this.#problem}); retrying`);
      if (!(await this.#sleep(backoffDelay(this.#options.backoff, attempt++)))) return;
    }
    first(undefined);
    attempt = 0;
    let retryMs: number | undefined;
    while (!this.#stopped) {
      const outcome = await readStream(this.#options, this.#lastEventId, this.#stopping.signal, {
        connected: () => this.#up(),
        event: (event) => this.#onEvent(event),
      });
      if (this.#stopped) return;
      if (outcome.connected) attempt = 0;
      retryMs = outcome.retryMs ?? retryMs;
      this.#problem = outcome.problem;
      if (outcome.fatal === true) {
        // Refused while serving a set: keep serving it, but say so; retrying cannot help.
        clearTimeout(this.#staleTimer);
        this.#listener.error(`${outcome.problem}; serving flag set version ${this.#state?.version}`, false);
        return;
      }
      this.#down(outcome.problem, outcome.connected);
      if (!(await this.#sleep(backoffDelay(this.#options.backoff, attempt++, retryMs)))) return;
    }
  }

  get #stopped(): boolean {
    return this.#stopping.signal.aborted;
  }

  #onEvent(event: SseEvent): void {
    if (event.event !== 'flags') return; // other event types are for newer providers
    let json: unknown;
    try {
      json = JSON.parse(event.data);
    } catch {
      this.#options.logger.error(`the flag stream sent an event that is not JSON (id ${event.lastEventId})`);
      return;
    }
    const payload = readPayload(json);
    if (typeof payload === 'string') {
      this.#options.logger.error(`the flag stream sent a bad event: ${payload}`);
      return;
    }
    this.#lastEventId = event.lastEventId === '' ? String(payload.version) : event.lastEventId;
    this.#apply(payload);
  }

  /** Compiles and swaps in a new version; false when it cannot be served (the old one stays). */
  #apply(payload: FlagSetPayload): boolean {
    const previous = this.#state;
    if (previous !== undefined && previous.etag === payload.etag) return true;
    // Partial: a flag this version cannot compile answers PARSE_ERROR, the others still work.
    const compiled = compileFlagSet(payload.definition, { partial: true });
    if (!compiled.ok) {
      this.#problem = `flag set version ${payload.version} does not compile: ${summary(compiled.errors)}`;
      this.#options.logger.error(`${this.#problem}; still serving ${previous?.version ?? 'nothing'}`);
      return false;
    }
    if (compiled.errors.length > 0) {
      this.#options.logger.warn(
        `flag set version ${payload.version}: some flags answer PARSE_ERROR: ${summary(compiled.errors)}`,
      );
    }
    if (payload.version === 0 && previous === undefined) {
      // Version 0 is a set nobody ever wrote: most likely a typo in `service` or `environment`.
      this.#options.logger.warn(
        `no flags were ever written to ${this.#options.flagsUrl}; every flag answers its default`,
      );
    }
    this.#state = { flagSet: compiled.flagSet, version: payload.version, etag: payload.etag };
    this.#lastEventId ??= String(payload.version);
    if (previous !== undefined) {
      const keys = changedFlags(previous.flagSet.definition, compiled.flagSet.definition);
      if (keys.length > 0) this.#listener.changed(keys);
    }
    return true;
  }

  #up(): void {
    clearTimeout(this.#staleTimer);
    this.#staleTimer = undefined;
    if (this.#stale) this.#readyAgain();
  }

  #readyAgain(): void {
    this.#stale = false;
    if (this.#owesReady) {
      this.#owesReady = false;
      this.#listener.ready();
    }
  }

  #down(problem: string, wasConnected: boolean): void {
    const level = wasConnected ? 'warn' : 'debug';
    this.#options.logger[level](`flag stream down: ${problem}; serving version ${this.#state?.version}`);
    if (this.#stale || this.#staleTimer !== undefined) return;
    this.#staleTimer = setTimeout(() => {
      this.#staleTimer = undefined;
      this.#stale = true;
      this.#owesReady = true;
      this.#listener.stale(`flag stream down for ${this.#options.staleAfterMs} ms: ${this.#problem}`);
    }, this.#options.staleAfterMs);
  }

  /** Waits, unless closed first; resolves false when closed. */
  #sleep(ms: number): Promise<boolean> {
    const signal = this.#stopping.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve(!signal.aborted);
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

function summary(issues: readonly { readonly path: string; readonly message: string }[]): string {
  const shown = issues.slice(0, 3).map((issue) => `${issue.path}: ${issue.message}`);
  return issues.length > 3 ? `${shown.join('; ')} (and ${issues.length - 3} more)` : shown.join('; ');
}
