import {
  type AnyProviderEvent,
  ErrorCode,
  type EvaluationContext,
  type ProviderEventEmitter,
  type ResolutionDetails,
} from '@openfeature/core';
import { EvaluationCounts } from './counts.js';
import { type FlowlineProviderOptions, resolveOptions } from './options.js';
import { type RequestedType, resolveFlag } from './resolve.js';
import { type FlagState, FlagSync } from './sync.js';

/**
 * The provider event names of one SDK: its `ProviderEvents`. The Node and the web SDK each have
 * their own enum (with the same members), so the subclass hands its SDK's in.
 */
export interface ProviderEventNames<E extends AnyProviderEvent> {
  readonly Ready: E;
  readonly Stale: E;
  readonly Error: E;
  readonly ConfigurationChanged: E;
}

/**
 * What the Node and the browser provider share: options, the flag sync and its events, local
 * evaluation with evaluation counts, and the lifecycle. A subclass adds its SDK's event emitter
 * and the resolve methods, whose signatures differ per SDK (async on Node, synchronous in browsers).
 */
export abstract class FlowlineProviderBase<E extends AnyProviderEvent> {
  readonly metadata = { name: 'flowline' } as const;
  /** READY, STALE (stream down past the grace period), ERROR and CONFIGURATION_CHANGED. */
  abstract readonly events: ProviderEventEmitter<E>;
  readonly #sync: FlagSync;
  readonly #counts: EvaluationCounts | undefined;
  #stale: string | undefined;

  /** Throws FlowlineProviderOptionsError for options that cannot work (no network access happens here). */
  protected constructor(options: FlowlineProviderOptions, names: ProviderEventNames<E>) {
    const resolved = resolveOptions(options);
    this.#counts = resolved.countEvaluations ? new EvaluationCounts(resolved) : undefined;
    // `this.events` is the subclass's field: read when the sync reports, never during construction.
    this.#sync = new FlagSync(resolved, {
      ready: () => {
        this.#stale = undefined;
        this.events.emit(names.Ready);
      },
      stale: (message) => {
        this.#stale = message;
        this.events.emit(names.Stale, { message });
      },
      error: (message, fatal) =>
        this.events.emit(names.Error, fatal ? { message, errorCode: ErrorCode.PROVIDER_FATAL } : { message }),
      changed: (flagsChanged) => this.events.emit(names.ConfigurationChanged, { flagsChanged }),
    });
  }

  /** The flag set being served (version, ETag, compiled set), or undefined before the first one. */
  get flagState(): FlagState | undefined {
    return this.#sync.state;
  }

  /**
   * Called by the SDK: fetches the flag set, opens the stream (see FlagSync.start) and starts
   * sending evaluation counts. The evaluation context is read per evaluation, not here.
   */
  initialize(_context?: EvaluationContext): Promise<void> {
    this.#counts?.start();
    return this.#sync.start();
  }

  /** Called by the SDK on shutdown or when replaced: sends the last counts and closes the stream. */
  async onClose(): Promise<void> {
    await Promise.all([this.#counts?.close(), this.#sync.close()]); // neither rejects
  }

  /** Sends the counts now (see EvaluationCounts.flush); resolves when done, never rejects. */
  protected flushCounts(options: { keepalive?: boolean } = {}): Promise<void> {
    return this.#counts?.flush(options) ?? Promise.resolve();
  }

  /** The STALE message while the stream is down past the grace period, else undefined. */
  protected get staleMessage(): string | undefined {
    return this.#stale;
  }

  /** Evaluates locally and counts the answer when it served a variant. */
  protected resolve<T>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
    type: RequestedType,
  ): ResolutionDetails<T> {
    const details = resolveFlag(this.#sync, flagKey, defaultValue, context, type);
    if (details.variant !== undefined && details.errorCode === undefined)
      this.#counts?.count(flagKey, details.variant);
    return details;
  }
}
