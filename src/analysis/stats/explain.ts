import type { Counts } from './proportions.js';

/**
 * The judge's one-line explanation. Every percentage stands next to the two numbers it was
 * computed from, canary first, signed as canary vs baseline (+ = the canary's figure is higher),
 * so a reader can check it; the Hodges-Lehmann estimates (for latencies) are named as such, since
 * they are not a ratio of the quantiles shown beside them.
 */

export type Outcome = 'fail' | 'floor' | 'notSignificant' | 'pass';

export interface Margins {
  /** `shift`: Hodges-Lehmann estimates and the statistic; `statistic`: the statistic; `counts`: rates. */
  readonly shown: 'shift' | 'statistic' | 'counts';
  /** The statistic (or rate) of each side. */
  readonly canary: number;
  readonly baseline: number;
  readonly nCanary: number;
  readonly nBaseline: number;
  readonly counts?: { readonly canary: Counts; readonly baseline: Counts } | undefined;
  /** For `shift`: the statistic's own relative change, shown beside its two values. */
  readonly statisticChange?: number | undefined;
  /** Relative change (for `shift`, the Hodges-Lehmann ratio − 1). */
  readonly effect: number;
  /** Absolute change (for `shift`, the Hodges-Lehmann shift). */
  readonly difference: number;
  readonly p: number;
  /** p of the canary being within a margin; shown when the pass is not decided. */
  readonly pWithin?: number | undefined;
  /** False for a pass more samples may overturn: said so in the headline. */
  readonly decided?: boolean | undefined;
  readonly tolerance: number;
  readonly minDifference: number;
  /** Shown after values, e.g. `ms`; empty for none. */
  readonly unit: string;
}

const HEADLINE: Record<Outcome, string> = {
  fail: 'canary worse than baseline',
  floor: 'canary worse than baseline by more than the tolerance but within minDifference',
  notSignificant: 'canary not significantly worse than baseline beyond the margins',
  pass: 'canary within tolerance of baseline',
};

/** The headline of a pass more samples may overturn (not shown within a margin). */
const UNDECIDED: Record<Exclude<Outcome, 'fail'>, string> = {
  floor: `${HEADLINE.floor}, not yet significantly`,
  notSignificant: 'canary neither significantly worse than baseline beyond the margins nor shown within them',
  pass: `${HEADLINE.pass}, not yet significantly`,
};

/** `canary worse than baseline: typical request +20.3% (+4.42 ms), Hodges-Lehmann; p99 …`. */
export function describeVerdict(outcome: Outcome, statistic: string, m: Margins): string {
  const u = m.unit === '' ? '' : ` ${m.unit}`;
  const pair = (label: string, canary: string, baseline: string, change: string) =>
    `${label} canary ${canary} vs baseline ${baseline} (${change})`;
  let figures: string;
  if (m.shown === 'shift') {
    const typical = `typical request ${signedPercent(m.effect)} (${signed(m.difference)}${u}), Hodges-Lehmann`;
    const own = signedPercent(m.statisticChange ?? Number.NaN);
    figures = `${typical}; ${pair(statistic, `${format(m.canary)}${u}`, `${format(m.baseline)}${u}`, own)}`;
  } else if (m.shown === 'counts' && m.counts !== undefined) {
    const { canary, baseline } = m.counts;
    figures = pair(
      'error rate',
      `${format(m.canary)} (${canary.events} of ${canary.trials})`,
      `${format(m.baseline)} (${baseline.events} of ${baseline.trials})`,
      `${signedPercent(m.effect)}, ${signed(m.difference)}`,
    );
  } else {
    figures = pair(
      statistic,
      `${format(m.canary)}${u}`,
      `${format(m.baseline)}${u}`,
      `${signedPercent(m.effect)}, ${signed(m.difference)}${u}`,
    );
  }
  const floor = m.minDifference > 0 ? `, minDifference ${m.minDifference}${u}` : '';
  const undecided = m.decided === false && outcome !== 'fail';
  const within = undecided && m.pWithin !== undefined ? `, p(within)=${formatP(m.pWithin)}` : '';
  const limits = `tolerance ${Math.round(m.tolerance * 100)}%${floor}, p=${formatP(m.p)}${within}, n=${m.nCanary}/${m.nBaseline}`;
  const headline = outcome !== 'fail' && undecided ? UNDECIDED[outcome] : HEADLINE[outcome];
  return `${headline}: ${figures}; ${limits}`;
}

/** `+12.5%`, `-3.0%`, `+0.0%`; `up from 0` / `down from 0` for an infinite change. */
export function signedPercent(change: number): string {
  if (Number.isNaN(change)) return 'n/a';
  if (!Number.isFinite(change)) return change > 0 ? 'up from 0' : 'down from 0';
  const text = Math.abs(change * 100).toFixed(1);
  return `${change < 0 && text !== '0.0' ? '-' : '+'}${text}%`;
}

/** A difference with its sign: `+4.42`, `-0.31`, `+0.0`. */
export function signed(value: number): string {
  const text = format(Math.abs(value));
  return `${value < 0 && Number(text) !== 0 ? '-' : '+'}${text}`;
}

export function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

export function formatP(p: number): string {
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(1);
}
