import type { ErrorCode } from '../core/errors.js';
import { FlowlineError } from '../core/errors.js';
import { parseWindow } from '../metrics/index.js';

/** The period a report covers: `[from, to)`, its label, and the calendar months it touches (sign-offs are per month). */
export interface Period {
  readonly label: string;
  readonly from: Date;
  readonly to: Date;
  readonly months: readonly string[];
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/**
 * `--period 2026-11` (a calendar month in UTC), or `--from/--to` as the metrics commands read them
 * (a start after the end is refused with a coded error naming both). Exactly one of the two.
 */
export function parsePeriod(
  input: { readonly period?: string; readonly from?: string; readonly to?: string },
  now: Date,
  options: { readonly code?: ErrorCode; readonly names?: { period: string; from: string; to: string } } = {},
): Period {
  const code = options.code ?? 'FLOWLINE_USAGE';
  const names = options.names ?? { period: '--period', from: '--from', to: '--to' };
  if (input.period !== undefined) {
    if (input.from !== undefined || input.to !== undefined) {
      throw new FlowlineError(code, `${names.period} cannot be given with ${names.from} or ${names.to}.`, {
        hint: `Use ${names.period} 2026-11 for a month, or ${names.from} and ${names.to} for other dates.`,
        location: { path: names.period },
      });
    }
    const from = monthStart(input.period);
    if (from === undefined) {
      throw new FlowlineError(code, `${names.period} \`${input.period}\` is not a month written YYYY-MM.`, {
        hint: `e.g. ${names.period} 2026-11`,
        location: { path: names.period },
      });
    }
    const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
    return { label: input.period, from, to, months: [input.period] };
  }
  if (input.from === undefined) {
    throw new FlowlineError(
      code,
      `Which period? Give ${names.period} YYYY-MM, or ${names.from} (and ${names.to}).`,
      {
        hint: `e.g. ${names.period} 2026-11`,
      },
    );
  }
  const window = parseWindow({ from: input.from, ...(input.to === undefined ? {} : { to: input.to }) }, now, {
    code,
    names: { since: '--since', from: names.from, to: names.to },
  });
  return {
    label: `${window.from.toISOString()} – ${window.to.toISOString()}`,
    from: window.from,
    to: window.to,
    months: monthsBetween(window.from, window.to),
  };
}

function monthStart(text: string): Date | undefined {
  const match = MONTH.exec(text);
  return match === null ? undefined : new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
}

/** The months `YYYY-MM` that [from, to) touches. */
function monthsBetween(from: Date, to: Date): string[] {
  const months: string[] = [];
  let y = from.getUTCFullYear();
  let m = from.getUTCMonth();
  while (Date.UTC(y, m, 1) < to.getTime()) {
    months.push(`${y}-${String(m + 1).padStart(2, '0')}`);
    m++;
    if (m === 12) {
      m = 0;
      y++;
    }
  }
  return months;
}

/** A sign-off's period: one calendar month. */
export function checkMonth(text: string, code: ErrorCode = 'FLOWLINE_USAGE', name = '--period'): string {
  if (monthStart(text) === undefined) {
    throw new FlowlineError(code, `${name} \`${text}\` is not a month written YYYY-MM.`, {
      hint: `e.g. ${name} 2026-11`,
      location: { path: name },
    });
  }
  return text;
}
