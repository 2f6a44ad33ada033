import { describe, expect, it } from 'vitest';
import { FlowlineError } from '../core/errors.js';
import { instantOf } from './instant.js';
import { dayNumber, parseWindow } from './window.js';

const now = new Date('2026-12-05T02:25:00Z');

function thrown(f: () => unknown): FlowlineError {
  try {
    f();
  } catch (error) {
    if (error instanceof FlowlineError) return error;
    throw error;
  }
  throw new Error('expected a FlowlineError');
}

describe('parseWindow', () => {
  it('reads --since as that long before now, ending now', () => {
    // 30 days before 2026-12-05T02:25Z is 2026-11-05T02:25Z.
    const w = parseWindow({ since: '30d' }, now);
    expect(w.from.toISOString()).toBe('2026-11-05T02:25:00.000Z');
    expect(w.to).toEqual(now);
  });

  it('defaults to the last 30 days', () => {
    expect(parseWindow({}, now).from.toISOString()).toBe('2026-11-05T02:25:00.000Z');
  });

  it('reads --from/--to as instants, whatever offset they are written in', () => {
    const w = parseWindow({ from: '2026-11-01T00:00:00+02:00', to: '2026-11-30T18:00:00-05:00' }, now);
    expect(w.from.toISOString()).toBe('2026-10-31T22:00:00.000Z');
    expect(w.to.toISOString()).toBe('2026-11-30T23:00:00.000Z');
  });

  it('refuses --from after --to with a coded error naming both ends', () => {
    const error = thrown(() => parseWindow({ from: '2026-11-30', to: '2026-11-01' }, now));
    expect(error.code).toBe('FLOWLINE_USAGE');
    expect(error.message).toContain(
      '--from (2026-11-30T00:00:00.000Z) is not before --to (2026-11-01T00:00:00.000Z)',
    );
    expect(error.location?.path).toBe('--from');
  });

  it('refuses an empty window, and uses the API code and field names when asked', () => {
    const error = thrown(() =>
      parseWindow({ from: '2026-11-01', to: '2026-11-01' }, now, {
        code: 'FLOWLINE_REQUEST_INVALID',
        names: { since: 'since', from: 'from', to: 'to' },
      }),
    );
    expect(error.code).toBe('FLOWLINE_REQUEST_INVALID');
    expect(error.message).toContain('from (2026-11-01T00:00:00.000Z) is not before to');
  });

  it('refuses --since together with --from', () => {
    expect(thrown(() => parseWindow({ since: '7d', from: '2026-11-01' }, now)).message).toContain(
      'cannot be given together',
    );
  });

  it('refuses a --from that is neither a date nor a duration', () => {
    expect(thrown(() => parseWindow({ from: 'yesterday' }, now)).code).toBe('FLOWLINE_USAGE');
  });
});

describe('dayNumber', () => {
  it('puts an instant on the calendar day of the given offset', () => {
    // 2026-11-04T04:30Z is Nov 4 in UTC but 23:30 on Nov 3 at UTC−05:00.
    const t = instantOf('2026-11-03T23:30:00-05:00', 't');
    expect(dayNumber(t, -300) - dayNumber(t, 0)).toBe(-1);
  });
});
