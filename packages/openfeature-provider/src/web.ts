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
  type EvaluationContext,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
} from '@openfeature/web-sdk';
import type { FlowlineProviderOptions } from './core/options.js';
import { FlowlineProviderBase } from './core/provider.js';

export type { BackoffOptions } from './core/backoff.js';
export { type FlowlineProviderOptions, FlowlineProviderOptionsError } from './core/options.js';
export type { FlagState } from './core/sync.js';

/** The part of the DOM's `document` used here (this package builds without the DOM library). */
interface PageVisibility {
  readonly visibilityState: string;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

/** The page's document; undefined outside a browser (a web provider under Node, in tests). */
function page(): PageVisibility | undefined {
  return (globalThis as { document?: PageVisibility }).document;
}

/** An OpenFeature web provider answering from a Flowline flag set evaluated in the page. */
export class FlowlineWebProvider extends FlowlineProviderBase<ProviderEvents> implements Provider {
  readonly runsOn = 'client';
  override readonly events = new OpenFeatureEventEmitter();

  /** Throws FlowlineProviderOptionsError for options that cannot work (no network access happens here). */
  constructor(options: FlowlineProviderOptions) {
    super(options, ProviderEvents);
  }

  /**
   * A hidden page may never come back (tab closed, app switched, then discarded), and browsers
   * stop timers there: counts are sent when the page is hidden, with keepalive so the request
   * survives the page. `visibilitychange` is the one page-lifecycle event browsers fire reliably.
   */
  readonly #onVisibility = () => {
    if (page()?.visibilityState === 'hidden') void this.flushCounts({ keepalive: true });
  };

  override initialize(context?: EvaluationContext): Promise<void> {
    page()?.addEventListener('visibilitychange', this.#onVisibility);
    return super.initialize(context);
  }

  override async onClose(): Promise<void> {
    page()?.removeEventListener('visibilitychange', this.#onVisibility);
    await super.onClose();
  }

  /**
   * Called by the SDK when the static context changes. Evaluation is local, so the new context is
   * answered at once, with no request and no RECONCILING state. The SDK marks the provider READY
   * afterwards; while the stream is down that would hide STALE, so STALE is reported again.
   */
  onContextChange(_oldContext: EvaluationContext, _newContext: EvaluationContext): void {
    const message = this.staleMessage;
    if (message !== undefined) queueMicrotask(() => this.events.emit(ProviderEvents.Stale, { message }));
  }

  resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): ResolutionDetails<boolean> {
    return this.resolve(flagKey, defaultValue, context, 'boolean');
  }

  resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): ResolutionDetails<string> {
    return this.resolve(flagKey, defaultValue, context, 'string');
  }

  resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): ResolutionDetails<number> {
    return this.resolve(flagKey, defaultValue, context, 'number');
  }

  resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): ResolutionDetails<T> {
    return this.resolve(flagKey, defaultValue, context, 'object');
  }
}
