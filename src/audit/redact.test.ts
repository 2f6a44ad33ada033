import { describe, expect, it } from 'vitest';
import { redactSecrets, scrubSecrets } from './index.js';

const token = `flt_${'x1_-'.repeat(11)}`;

describe('redactSecrets', () => {
  it.each([
    'secret',
    'clientSecret',
    'token',
    'GITHUB_TOKEN',
    'password',
    'dbPassword',
    'passwd',
    'apiKey',
    'api_key',
    'X-Api-Key',
    'authorization',
    'Authorization',
    'privateKey',
    'private_key',
    'credentials',
    'cookie',
    'Set-Cookie',
  ])('redacts the value under %s, whatever it holds', (key) => {
    expect(redactSecrets({ [key]: { deep: ['a'] } })).toEqual({ [key]: '[redacted]' });
    expect(redactSecrets({ [key]: 42 })).toEqual({ [key]: '[redacted]' });
  });

  it.each(['name', 'role', 'prefix', 'environments', 'host', 'keyboard'])('keeps %s', (key) => {
    expect(redactSecrets({ [key]: 'visible' })).toEqual({ [key]: 'visible' });
  });

  it('walks nested objects and arrays', () => {
    expect(
      redactSecrets({ a: [{ b: { password: 'p' } }, 'x', 1, null, true], c: { d: { cookie: ['c'] } } }),
    ).toEqual({
      a: [{ b: { password: '[redacted]' } }, 'x', 1, null, true],
      c: { d: { cookie: '[redacted]' } },
    });
  });

  it('cuts token secrets and bearer credentials out of any string', () => {
    expect(redactSecrets({ note: `curl -H "Authorization: Bearer ${token}" /v1`, list: [token] })).toEqual({
      note: 'curl -H "Authorization: Bearer [redacted]" /v1',
      list: ['flt_[redacted]'],
    });
  });
});

describe('scrubSecrets', () => {
  it.each([
    [`token ${token} leaked`, 'token flt_[redacted] leaked'],
    ['bearer abc.def-ghi', 'Bearer [redacted]'],
    ['flt_short stays', 'flt_short stays'], // a display prefix is not a secret
    ['flt_3kq9abcd', 'flt_3kq9abcd'],
    ['no secrets here', 'no secrets here'],
  ])('%s', (text, expected) => {
    expect(scrubSecrets(text)).toBe(expected);
  });
});
