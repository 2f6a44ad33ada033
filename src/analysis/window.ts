import type { Provider } from '../config/index.js';
import { formatDuration } from '../core/time.js';
import type { MeasurementRecord } from './types.js';

/** The window a measurement covers, and how it is stated in records and progress lines. */

/** The provider's window, never reaching back before the canary started. */
export function windowOf(provider: Provider, canarySince: Date | undefined, now: Date): number {
  const configured = 'window' in provider ? provider.window : 0;
  if (canarySince === undefined) return configured;
  return Math.max(0, Math.min(configured, now.getTime() - canarySince.getTime()));
}

/**
 * What a value stood on, for the record and the progress line: `42 requests vs 380 over the last
 * 10s` (canary, baseline). Units by provider: requests (router, latency judge), intervals (the
 * judge's per-interval rates), points (business metrics).
 */
export function basisOf(
  provider: Provider,
  samples: NonNullable<MeasurementRecord['samples']>,
  windowMs: number,
): string {
  const unit =
    provider.kind === 'business'
      ? 'points'
      : provider.kind === 'judge' && !provider.signal.startsWith('latency')
        ? 'intervals'
        : 'requests';
  const versus = samples.baseline === undefined ? '' : ` vs ${samples.baseline}`;
  const over = 'window' in provider ? ` over the last ${formatDuration(windowMs)}` : '';
  return `${samples.canary} ${unit}${versus}${over}`;
}
