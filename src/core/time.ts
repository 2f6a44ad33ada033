import { type ErrorCode, FlowlineError } from './errors.js';

/**
 * Durations, the one syntax for flowline.yaml, CLI options, settings and request fields:
 * a number with a unit (`500ms`, `30s`, `10m`, `72h`, `7d`, `2w`), combinations (`1h30m`) and
 * decimals (`1.5s`). Bare numbers are refused on purpose: `timeout: 30` could mean seconds (Argo)
 * or milliseconds (Node), and a wrong guess is a silent bug.
 */

/** The accepted syntax, also published as the JSON Schema `pattern` of every duration field. */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;

/** How to write a duration: the hint of every refused one, wherever it was written. */
export const DURATION_HINT =
  'write a number with a unit: `500ms`, `30s`, `10m`, `72h`, `7d`, `2w` or combined like `1h30m`';

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `1h30m` to 5_400_000. Undefined for anything that is not a duration, or too long to count. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const [, amount = '0', unit = ''] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
  }
  const ms = Math.round(total);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * Milliseconds written as a duration that {@link parseDuration} reads back: `0s`, `750ms`, `2.5s`,
 * `10s`, `1m`, `1m30s`, `2h`. What analysis messages state their windows and waits in.
 */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  if (total < 60_000) return `${Number((total / 1000).toFixed(3))}s`;
  const parts: string[] = [];
  let rest = total;
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0) parts.push(`${Number((rest / 1000).toFixed(3))}s`);
  return parts.join('');
}

/** The one message for a refused duration: `` `5 sec` is not a duration `` (of at least `min`). */
export function durationMessage(text: string, min?: string): string {
  return `\`${text}\` is not a duration${min === undefined ? '' : ` of ${min} or more`}`;
}

/** Where a duration outside flowline.yaml came from, for {@link requireDuration}'s error. */
export interface DurationSource {
  /** How the user wrote the name: `--ttl`, `FLOWLINE_RUNNER_TIMEOUT`. */
  readonly name: string;
  /** The smallest duration accepted, written as a duration (`1s`). */
  readonly min: string;
  readonly code: ErrorCode;
  /** A field path for errors of request fields (`body.ttl`). */
  readonly path?: string;
}

/**
 * Reads a duration given as an option, setting or request field: milliseconds, or a
 * FlowlineError with `source.code` in the same shape flowline.yaml's `invalid_duration` has.
 */
export function requireDuration(text: string, source: DurationSource): number {
  const ms = parseDuration(text.trim());
  if (ms !== undefined && ms >= (parseDuration(source.min) ?? 0)) return ms;
  throw new FlowlineError(source.code, `${source.name} ${durationMessage(text, source.min)}.`, {
    hint: DURATION_HINT,
    ...(source.path === undefined ? {} : { location: { path: source.path } }),
  });
}

/**
 * A point in time given by a user: an ISO date/time, or a duration meaning "that long ago"
 * (`--since 24h`) or "that long from now" (`--expires 30d`).
 */
export function parseWhen(text: string, now: Date, direction: 'past' | 'future', option: string): string {
  const ms = parseDuration(text.trim());
  if (ms !== undefined) return new Date(now.getTime() + (direction === 'past' ? -ms : ms)).toISOString();
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(date.getTime())) {
    throw new FlowlineError('FLOWLINE_USAGE', `${option} \`${text}\` is neither a date nor a duration.`, {
      hint: `Use an ISO date (2026-01-31 or 2026-01-31T12:00:00Z) or a duration (90m, 24h, 30d).`,
    });
  }
  return date.toISOString();
}
