/**
 * The Flowline provider for Node (`@openfeature/server-sdk`): evaluates flags in-process with the
 * engine the Flowline server uses, and keeps the flag set current over server-sent events.
 *
 * ```ts
 * import { OpenFeature } from '@openfeature/server-sdk';
 * import { FlowlineServerProvider } from '@flowline/openfeature-provider/server';
 *
 * await OpenFeature.setProviderAndWait(
 *   new FlowlineServerProvider({ url, token, service: 'shop', environment: 'production' }),
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
} from '@openfeature/server-sdk';
import { type FlowlineProviderOptions, resolveOptions } from './core/options.js';
import { resolveFlag } from './core/resolve.js';
import { type FlagState, FlagSync } from './core/sync.js';

export type { BackoffOptions } from './core/backoff.js';
export { type FlowlineProviderOptions, FlowlineProviderOptionsError } from './core/options.js';
export type { FlagState } from './core/sync.js';

/** An OpenFeature server provider answering from a Flowline flag set evaluated locally. */
export class FlowlineServerProvider implements Provider {
  readonly metadata = { name: 'flowline' } as const;
  readonly runsOn = 'server';
  /** READY, STALE (stream down past the grace period), ERROR and CONFIGURATION_CHANGED. */
  readonly events = new OpenFeatureEventEmitter();
  readonly #sync: FlagSync;

  /** Throws FlowlineProviderOptionsError for options that cannot work (no network access happens here). */
  constructor(options: FlowlineProviderOptions) {
    const events = this.events;
    this.#sync = new FlagSync(resolveOptions(options), {
      ready: () => events.emit(ProviderEvents.Ready),
      stale: (message) => events.emit(ProviderEvents.Stale, { message }),
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

  /** Called by the SDK: fetches the flag set and opens the stream (see FlagSync.start). */
  initialize(): Promise<void> {
    return this.#sync.start();
  }

  /** Called by the SDK on shutdown or when replaced: closes the stream. */
  onClose(): Promise<void> {
    return this.#sync.close();
  }

  async resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return resolveFlag(this.#sync, flagKey, defaultValue, context, 'boolean');
  }

  async resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return resolveFlag(this.#sync, flagKey, defaultValue, context, 'string');
  }

  async resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return resolveFlag(this.#sync, flagKey, defaultValue, context, 'number');
  }

  async resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return resolveFlag(this.#sync, flagKey, defaultValue, context, 'object');
  }
}
