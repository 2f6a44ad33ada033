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
  type EvaluationContext,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import type { FlowlineProviderOptions } from './core/options.js';
import { FlowlineProviderBase } from './core/provider.js';

export type { BackoffOptions } from './core/backoff.js';
export { type FlowlineProviderOptions, FlowlineProviderOptionsError } from './core/options.js';
export type { FlagState } from './core/sync.js';

/** An OpenFeature server provider answering from a Flowline flag set evaluated locally. */
export class FlowlineServerProvider extends FlowlineProviderBase<ProviderEvents> implements Provider {
  readonly runsOn = 'server';
  override readonly events = new OpenFeatureEventEmitter();

  /** Throws FlowlineProviderOptionsError for options that cannot work (no network access happens here). */
  constructor(options: FlowlineProviderOptions) {
    super(options, ProviderEvents);
  }

  async resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return this.resolve(flagKey, defaultValue, context, 'boolean');
  }

  async resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return this.resolve(flagKey, defaultValue, context, 'string');
  }

  async resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return this.resolve(flagKey, defaultValue, context, 'number');
  }

  async resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return this.resolve(flagKey, defaultValue, context, 'object');
  }
}
