import { type ErrorCode, FlowlineError } from '../core/errors.js';
import { parseWhen } from '../core/time.js';
import type { Window } from './types.js';

/**
 * Windows and instants. Time never comes from a clock here: `now` is an argument, so the same
 * records and the same window always give the same figures.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/** The window used when neither `since` nor `from` is given. */
export const DEFAULT_SINCE = '30d';

/** The window as epoch milliseconds, for the calculations' inner loops. */
export interface WindowMs {
  readonly from: number;
  readonly to: number;
}

export function windowMs(window: Window): WindowMs {
  return { from: window.from.getTime(), to: window.to.getTime() };
}

/** Half-open: `from` inside, `to` outside. */
export function inWindow(ms: number, window: WindowMs): boolean {
  return ms >= window.from && ms < window.to;
}

/**
 * The calendar day an instant falls on, as a day number, in a fixed UTC offset (minutes east of
 * UTC). Deployment days and cumulative flow count calendar days of the team, not of the server;
 * a fixed offset keeps this a division (no time-zone database in a loop over a million records).
 */
export function dayNumber(ms: number, utcOffsetMinutes: number): number {
  return Math.floor((ms + utcOffsetMinutes * 60_000) / DAY_MS);
}

/** How the window was asked for: the CLI's `--since/--from/--to`, or the API's query fields. */
export interface WindowInput {
  /** A duration back from `now` (`30d`) or a date; not together with `from`. */
  readonly since?: string;
  readonly from?: string;
  /** Defaults to `now`. */
  readonly to?: string;
}

export interface WindowOptions {
  /** The code of the error for an empty or reversed window: `FLOWLINE_USAGE` (CLI) by default, `FLOWLINE_REQUEST_INVALID` for the API. */
  readonly code?: ErrorCode;
  /** How the caller names the inputs in messages: `--since` for the CLI, `since` for a query. */
  readonly names?: { readonly since: string; readonly from: string; readonly to: string };
}

const CLI_NAMES = { since: '--since', from: '--from', to: '--to' } as const;

/**
 * Reads a window from `--since 30d` or `--from/--to` (dates, or durations meaning "that long
 * before now"). `now` is passed in. A window whose start is not before its end is refused with a
 * coded error naming both ends, rather than answering zeros for an empty window.
 */
export function parseWindow(input: WindowInput, now: Date, options: WindowOptions = {}): Window {
  const names = options.names ?? CLI_NAMES;
  const code = options.code ?? 'FLOWLINE_USAGE';
  if (input.since !== undefined && input.from !== undefined) {
    throw new FlowlineError(code, `${names.since} and ${names.from} cannot be given together.`, {
      hint: `Use ${names.since} 30d for the last 30 days, or ${names.from} and ${names.to} for a fixed window.`,
      location: { path: names.from },
    });
  }
  const start = input.from ?? input.since ?? DEFAULT_SINCE;
  const fromName = input.from === undefined ? names.since : names.from;
  const from = new Date(parseWhen(start, now, 'past', fromName));
  const to = input.to === undefined ? now : new Date(parseWhen(input.to, now, 'past', names.to));
  if (from.getTime() >= to.getTime()) {
    throw new FlowlineError(
      code,
      `The window is empty: ${fromName} (${from.toISOString()}) is not before ${names.to} (${to.toISOString()}).`,
      {
        hint: `Give a ${fromName} earlier than ${names.to}, e.g. ${names.from} 2026-11-01 ${names.to} 2026-12-01.`,
        location: { path: fromName },
      },
    );
  }
  return { from, to };
}

/**
 * A fixed UTC offset, `+02:00`, `-0530`, `+2` or `Z`, in minutes east of UTC. The team's
 * calendar for deployment days; a fixed offset, not a zone name, so a day never has 23 hours.
 */
export function parseUtcOffset(text: string, options: WindowOptions & { name?: string } = {}): number {
  const name = options.name ?? '--utc-offset';
  if (/^z$/i.test(text)) return 0;
  const match = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(text);
  const hours = Number(match?.[2] ?? 99);
  const minutes = Number(match?.[3] ?? 0);
  if (match === null || hours > 14 || minutes > 59) {
    throw new FlowlineError(options.code ?? 'FLOWLINE_USAGE', `${name} \`${text}\` is not a UTC offset.`, {
      hint: `Give it as ±HH:MM, e.g. ${name} +02:00 (or Z for UTC).`,
      location: { path: name },
    });
  }
  return (match[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}
