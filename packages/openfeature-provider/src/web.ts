/**
 * The Flowline provider for browsers (`@openfeature/web-sdk`): the static-context paradigm with
 * local evaluation, so flags resolve synchronously and a context change needs no request.
 * Uses only fetch, streams and timers: no Node module.
 *
 * ```ts
 * import { OpenFeature } from '@openfeature/web-sdk';
 * import { FlowlineWebProvider } from '@flowline/openfeature-provider/web';
 *
 * await OpenFeature.setContext({ targetingKey: user.id, plan: user.plan });
 * await OpenFeature.setProviderAndWait(
 *   new FlowlineWebProvider({ url, token: clientToken, service: 'shop', environment: 'production' }),
 * );
 * ```
 */
import {
  ErrorCode,
  type EvaluationContext,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
} from '@openfeature/web-sdk';
import { type FlowlineProviderOptions, resolveOptions } from './core/options.js';
import { resolveFlag } from './core/resolve.js';
import { type FlagState, FlagSync } from './core/sync.js';

export type { BackoffOptions } from './core/backoff.js';
export { type FlowlineProviderOptions, FlowlineProviderOptionsError } from './core/options.js';
export type { FlagState } from './core/sync.js';

/** An OpenFeature web provider answering from a Flowline flag set evaluated in the page. */
export class FlowlineWebProvider implements Provider {
  readonly metadata = { name: 'flowline' } as const;
  readonly runsOn = 'client';
  /** READY, STALE (stream down past the grace period), ERROR and CONFIGURATION_CHANGED. */
  readonly events = new OpenFeatureEventEmitter();
  readonly #sync: FlagSync;
  /** The STALE message while the stream is down, to report again after a context change. */
  #stale: string | undefined;

  /** Throws FlowlineProviderOptionsError for options that cannot work (no network access happens here). */
  constructor(options: FlowlineProviderOptions) {
    const events = this.events;
    this.#sync = new FlagSync(resolveOptions(options), {
      ready: () => {
        this.#stale = undefined;
        events.emit(ProviderEvents.Ready);
      },
      stale: (message) => {
        this.#stale = message;
        events.emit(ProviderEvents.Stale, { message });
      },
      error: (message, fatal) =>
        events.emit(
          ProviderEvents.Error,
          fatal ? { message, errorCode: ErrorCode.PROVIDER_FATAL } : { message },
        ),
      changed: (flagsChanged) => events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged }),
    });
  }

  /** The flag set being served (version, ETag, compiled set), or undefined before the first one. */
  get flagState(): FlagState | undefined {
    return this.#sync.state;
  }

  /** Called by the SDK: fetches the flag set and opens the stream. The context is read per evaluation. */
  initialize(_context?: EvaluationContext): Promise<void> {
    return this.#sync.start();
  }

  /**
   * Called by the SDK when the static context changes. Evaluation is local, so the new context is
   * answered at once, with no request and no RECONCILING state. The SDK marks the provider READY
   * afterwards; while the stream is down that would hide STALE, so STALE is reported again.
   */
  onContextChange(_oldContext: EvaluationContext, _newContext: EvaluationContext): void {
    const message = this.#stale;
    if (message !== undefined) queueMicrotask(() => this.events.emit(ProviderEvents.Stale, { message }));
  }

  /** Called by the SDK on shutdown or when replaced: closes the stream. */
  onClose(): Promise<void> {
    return this.#sync.close();
  }

  resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): ResolutionDetails<boolean> {
    return resolveFlag(this.#sync, flagKey, defaultValue, context, 'boolean');
  }

  resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): ResolutionDetails<string> {
    return resolveFlag(this.#sync, flagKey, defaultValue, context, 'string');
  }

  resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): ResolutionDetails<number> {
    return resolveFlag(this.#sync, flagKey, defaultValue, context, 'number');
  }

  resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): ResolutionDetails<T> {
    return resolveFlag(this.#sync, flagKey, defaultValue, context, 'object');
  }
}
