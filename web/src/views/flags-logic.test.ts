import { describe, expect, it } from 'vitest';
import type { FlagHistoryEntry } from '../api/flags.js';
import { namedProduction } from '../production.js';
import { flagState, lastKill, parseFlagText, placeIssues, rulesText, totals } from './flags-logic.js';

describe('flagState', () => {
  it('says killed whatever enabled says, then on or off', () => {
    expect(flagState({ enabled: true, killed: true })).toBe('killed');
    expect(flagState({ enabled: false, killed: true })).toBe('killed');
    expect(flagState({ enabled: true })).toBe('on');
    expect(flagState({ enabled: false })).toBe('off');
  });

  it('describes how a flag decides', () => {
    expect(rulesText({ rules: [{}, {}] })).toBe('2 rules');
    expect(rulesText({ rules: [{}] })).toBe('1 rule');
    expect(rulesText({})).toBe('no rules');
    expect(rulesText({ targeting: { if: [] } })).toBe('flagd targeting');
  });
});

describe('lastKill', () => {
  const entry = (version: number, action: string, flags: string[], name: string): FlagHistoryEntry => ({
    version,
    at: `2026-12-0${version}T00:00:00.000Z`,
    actor: { kind: 'user', name },
    action,
    flags,
    summary: '',
  });

  it('names the newest kill of that flag (history is newest first)', () => {
    const history = [
      entry(4, 'flag.kill', ['checkout'], 'trigger:errors'),
      entry(3, 'flag.unkill', ['checkout'], 'bob'),
      entry(2, 'flag.kill', ['checkout'], 'alice'),
    ];
    expect(lastKill(history, 'checkout')).toEqual({ by: 'trigger:errors', at: '2026-12-04T00:00:00.000Z' });
    expect(lastKill(history, 'banner')).toBeUndefined();
  });
});

describe('namedProduction', () => {
  it('asks for production and its regions, not for staging', () => {
    expect(namedProduction('production')).toBe(true);
    expect(namedProduction('prod-eu')).toBe(true);
    expect(namedProduction('staging')).toBe(false);
    expect(namedProduction('products')).toBe(false);
  });
});

describe('the editor text', () => {
  it('refuses text that is not JSON with the CLI code and a position', () => {
    const result = parseFlagText('{\n  "enabled": tru\n}');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('FLOWLINE_USAGE');
    expect(result.error.issues?.[0]?.line).toBe(2);
    expect(result.error.message).not.toContain('enabled'); // the engine's quote of the text is dropped
  });

  it("places the server's issues of this flag in the text and leaves the others alone", () => {
    const text = '{\n  "variants": { "on": true },\n  "defaultVariant": "of"\n}';
    const placed = placeIssues(
      {
        code: 'FLOWLINE_FLAGS_INVALID',
        message: 'the flag set has 2 problems',
        issues: [
          { code: 'unknown_variant', message: 'no variant `of`', path: 'flags.banner.defaultVariant' },
          { code: 'unknown_segment', message: 'no segment', path: 'flags.bannerx.rules[0]' },
        ],
      },
      'banner',
      text,
    );
    expect(placed.issues?.[0]).toMatchObject({ line: 3, column: 3, path: 'flags.banner.defaultVariant' });
    expect(placed.issues?.[1]?.line).toBeUndefined();
  });

  it('sums counts per variant, most first', () => {
    expect(totals({ off: [1, 2], on: [5, 0] })).toEqual([
      ['on', 5],
      ['off', 3],
    ]);
  });
});
