import { FlowlineError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `500ms`, `5s`, `10m`, `72h`, `30d`, `2w` (and combinations like `1h30m`) to milliseconds, or undefined. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/**
 * A point in time given by a user: an ISO date/time, or a duration meaning "that long ago"
 * (`--since 24h`) or "that long from now" (`--expires 30d`).
 */
export function parseWhen(text: string, now: Date, direction: 'past' | 'future', option: string): string {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now.getTime() + (direction === 'past' ? -ms : ms)).toISOString();
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(date.getTime())) {
    throw new FlowlineError('FLOWLINE_USAGE', `${option} \`${text}\` is neither a date nor a duration.`, {
      hint: `Use an ISO date (2026-01-31 or 2026-01-31T12:00:00Z) or a duration (90m, 24h, 30d).`,
    });
  }
  return date.toISOString();
}
