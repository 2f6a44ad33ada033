import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  type ErrorCode,
  exitCodeOf,
  FlowlineError,
  formatLocation,
  httpStatusOf,
} from './errors.js';
import { renderErrorsDoc } from './errors-doc.js';

describe('the error catalogue', () => {
  it('is documented in docs/errors.md exactly as generated (run `npm run docs:errors` when this fails)', async () => {
    const doc = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderErrorsDoc());
  });

  it('gives every code a FLOWLINE_ prefix, a summary and a fix', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^FLOWLINE_[A-Z_]+$/);
      expect(info.summary.length).toBeGreaterThan(10);
      expect(info.fix.length).toBeGreaterThan(10);
    }
  });

  it('maps kinds to distinct HTTP statuses and exit codes', () => {
    const pairs: [ErrorCode, number, number][] = [
      ['FLOWLINE_CONFIG_INVALID', 400, 2],
      ['FLOWLINE_AUTH_MISSING', 401, 5],
      ['FLOWLINE_FORBIDDEN', 403, 5],
      ['FLOWLINE_TOKEN_NOT_FOUND', 404, 3],
      ['FLOWLINE_TOKEN_NAME_TAKEN', 409, 4],
      ['FLOWLINE_REQUEST_TOO_LARGE', 413, 2],
      ['FLOWLINE_UNSUPPORTED_MEDIA_TYPE', 415, 2],
      ['FLOWLINE_REQUEST_TIMEOUT', 408, 6],
      ['FLOWLINE_AUDIT_CHAIN_BROKEN', 422, 1],
      ['FLOWLINE_STORE_CORRUPT', 503, 6],
      ['FLOWLINE_INTERNAL', 500, 70],
    ];
    for (const [code, status, exit] of pairs) {
      expect([code, httpStatusOf(code), exitCodeOf(code)]).toEqual([code, status, exit]);
    }
  });
});

describe('FlowlineError', () => {
  it('serialises code, message, hint and issues but never its cause', () => {
    const error = new FlowlineError('FLOWLINE_CONFIG_INVALID', '2 problems', {
      hint: 'fix them',
      issues: [{ code: 'unknown_key', message: 'unknown key', file: 'f.yaml', line: 3, column: 5 }],
      cause: new Error('secret-value'),
    });
    const json = JSON.stringify(error);
    expect(JSON.parse(json)).toEqual({
      code: 'FLOWLINE_CONFIG_INVALID',
      message: '2 problems',
      hint: 'fix them',
      issues: [{ code: 'unknown_key', message: 'unknown key', file: 'f.yaml', line: 3, column: 5 }],
    });
    expect(json).not.toContain('secret-value');
  });

  it('formats locations as file:line:col followed by the field path', () => {
    expect(formatLocation({ file: 'flowline.yaml', line: 4, column: 7, path: 'stages.unit' })).toBe(
      'flowline.yaml:4:7 stages.unit',
    );
    expect(formatLocation({ path: 'body.role' })).toBe('body.role');
  });
});
