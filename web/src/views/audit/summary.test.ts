import { describe, expect, it } from 'vitest';
import { isoToLocalInput, localInputToIso, summarizeDetails } from './summary.js';

describe('summarizeDetails', () => {
  it('lists the top-level keys with short values', () => {
    expect(
      summarizeDetails({
        service: 'shop',
        only: null,
        count: 3,
        dry: false,
        stages: ['unit', 'e2e'],
        changes: [{}, {}],
      }),
    ).toBe('service=shop, only=null, count=3, dry=false, stages=[unit, e2e], changes=[2 items]');
    expect(summarizeDetails({ policy: { trunk: 'main', environments: [] } })).toBe(
      'policy={trunk, environments}',
    );
  });

  it('shortens long values and the whole line, adding nothing of its own', () => {
    const long = 'x'.repeat(200);
    expect(summarizeDetails({ message: long })).toBe(`message=${'x'.repeat(59)}…`);
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, 'value']));
    expect(summarizeDetails(many).length).toBe(220);
    expect(summarizeDetails({ secret: '[redacted]' })).toBe('secret=[redacted]');
  });
});

describe('the time filter conversions', () => {
  it('round-trip a minute through the datetime-local input', () => {
    const iso = localInputToIso('2026-03-04T05:06');
    expect(iso).toMatch(/^2026-03-0\dT\d\d:06:00.000Z$/);
    expect(isoToLocalInput(iso)).toBe('2026-03-04T05:06');
    expect(localInputToIso('')).toBeUndefined();
    expect(isoToLocalInput('not a time')).toBe('');
  });
});
