import { describe, expect, it } from 'vitest';
import { compareSemVer, parseSemVer } from './semver.js';

describe('semver', () => {
  it('orders versions by semver 2.0 precedence', () => {
    const ordered = [
      '1.0.0-0',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.10.0',
      '2.0.0',
    ];
    const parsed = ordered.map((v) => parseSemVer(v));
    for (let i = 1; i < parsed.length; i++) {
      expect(
        compareSemVer(parsed[i - 1] as never, parsed[i] as never),
        `${ordered[i - 1]} < ${ordered[i]}`,
      ).toBeLessThan(0);
    }
  });

  it('reads like flagd: a leading v, partial versions and numbers; ignores build metadata', () => {
    expect(parseSemVer('v1.2.3')).toEqual({ major: 1, minor: 2, patch: 3, pre: [] });
    expect(parseSemVer('1.2')).toEqual({ major: 1, minor: 2, patch: 0, pre: [] });
    expect(parseSemVer(2)).toEqual({ major: 2, minor: 0, patch: 0, pre: [] });
    expect(compareSemVer(parseSemVer('1.0.0+a') as never, parseSemVer('1.0.0+b') as never)).toBe(0);
  });

  it('rejects what is not a version', () => {
    for (const text of ['', '1.2.3.4', '01.2.3', '1.2.3-', 'x', '1.2.3-01'])
      expect(parseSemVer(text), text).toBeUndefined();
    expect(parseSemVer({})).toBeUndefined();
  });
});
