import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instantOf, parseIsoFast } from './instant.js';

describe('instantOf', () => {
  it('compares instants across offsets', () => {
    expect(instantOf('2026-11-03T10:00:00+02:00', 'x')).toBe(instantOf('2026-11-03T08:00:00Z', 'x'));
    expect(instantOf('2026-11-03T13:30:00+05:30', 'x')).toBe(instantOf('2026-11-03T08:00:00Z', 'x'));
    expect(instantOf('2026-11-03T08:00:00.250-00:00', 'x')).toBe(Date.parse('2026-11-03T08:00:00.250Z'));
  });

  it('refuses a time without a zone, naming the field', () => {
    expect(() => instantOf('2026-11-03T10:00:00', 'commit abc committedAt')).toThrow(
      'commit abc committedAt `2026-11-03T10:00:00` is not an ISO-8601 date-time with a zone',
    );
    expect(() => instantOf('not a date Z', 'f')).toThrow(TypeError);
  });

  it('falls back to Date.parse for other ISO shapes with a zone', () => {
    expect(parseIsoFast('2026-11-03T10:00Z')).toBeNull();
    expect(instantOf('2026-11-03T10:00Z', 'x')).toBe(Date.parse('2026-11-03T10:00:00Z'));
  });

  it('refuses impossible dates on the fast path (Feb 29 only in leap years)', () => {
    expect(parseIsoFast('2024-02-29T00:00:00Z')).toBe(Date.parse('2024-02-29T00:00:00Z'));
    expect(parseIsoFast('2026-02-29T00:00:00Z')).toBeNull();
    expect(parseIsoFast('2026-13-01T00:00:00Z')).toBeNull();
    expect(parseIsoFast('2026-01-01T24:00:00Z')).toBeNull();
  });

  it('agrees with Date.parse on random times, fractions and offsets', () => {
    const two = (n: number) => String(n).padStart(2, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('1970-01-01T00:00:00Z'), max: Date.parse('2199-12-31T00:00:00Z') }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        fc.constantFrom('', '.5', '.25', '.123', '.123456'),
        (ms, offset, fraction) => {
          const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19);
          const zone =
            offset === 0 && fraction === ''
              ? 'Z'
              : `${offset < 0 ? '-' : '+'}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
          const text = `${local}${fraction}${zone}`;
          expect(parseIsoFast(text)).toBe(Date.parse(text));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
