import { describe, expect, it } from 'vitest';
import { FlowlineError } from './errors.js';
import { DURATION_PATTERN, formatDuration, parseDuration, parseWhen, requireDuration } from './time.js';

describe('parseDuration', () => {
  it('reads every unit, decimals and combinations into milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('72h')).toBe(259_200_000);
    expect(parseDuration('1d2h')).toBe(93_600_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    expect(parseDuration('1h30m15s')).toBe(5_415_000);
  });

  it('refuses numbers without units, unknown units and totals too large to count', () => {
    for (const text of ['30', '5 sec', '1y', '', 'm', '-1s', ' 1s', `${'9'.repeat(20)}w`]) {
      expect(parseDuration(text), text).toBeUndefined();
    }
  });

  it('accepts exactly what the published pattern accepts (the JSON Schema of flowline.yaml)', () => {
    for (const text of ['2w', '1w2d', '0.5h', '1x', '1', 'ms']) {
      expect(parseDuration(text) !== undefined, text).toBe(DURATION_PATTERN.test(text));
    }
  });
});

describe('formatDuration', () => {
  it('writes milliseconds as the shortest duration flowline.yaml would accept', () => {
    const written = [0, 1, 750, 1000, 2500, 10_000, 60_000, 90_000, 3_600_000, 5_415_250].map(formatDuration);
    expect(written).toEqual(['0s', '1ms', '750ms', '1s', '2.5s', '10s', '1m', '1m30s', '1h', '1h30m15.25s']);
  });

  it('reads back to the same milliseconds', () => {
    for (const ms of [1, 999, 1001, 59_999, 61_001, 7_265_432])
      expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});

describe('requireDuration', () => {
  it('reads an option, trimming what the shell left around it', () => {
    expect(requireDuration(' 2w ', { name: '--ttl', min: '1s', code: 'FLOWLINE_USAGE' })).toBe(1_209_600_000);
  });

  it('refuses a bad or too short duration in the shape flowline.yaml uses, with its code', () => {
    const refusal = (text: string) => {
      try {
        requireDuration(text, { name: '--ttl', min: '1s', code: 'FLOWLINE_USAGE' });
      } catch (error) {
        return error as FlowlineError;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal('5 sec')).toMatchObject({
      code: 'FLOWLINE_USAGE',
      message: '--ttl `5 sec` is not a duration of 1s or more.',
      hint: expect.stringContaining('`2w`'),
    });
    expect(refusal('500ms').message).toBe('--ttl `500ms` is not a duration of 1s or more.');
  });
});

describe('parseWhen', () => {
  const now = new Date('2026-01-31T12:00:00Z');

  it('reads a duration back or forward from now, weeks included', () => {
    expect(parseWhen('2w', now, 'past', '--since')).toBe('2026-01-17T12:00:00.000Z');
    expect(parseWhen('1d', now, 'future', '--expires')).toBe('2026-02-01T12:00:00.000Z');
  });

  it('reads an ISO date and refuses anything else', () => {
    expect(parseWhen('2026-01-01', now, 'past', '--since')).toBe('2026-01-01T00:00:00.000Z');
    expect(() => parseWhen('yesterday', now, 'past', '--since')).toThrow(FlowlineError);
  });
});
