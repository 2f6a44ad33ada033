import { describe, expect, it } from 'vitest';
import { FlowlineError } from '../core/errors.js';
import { compileFlagSetOrThrow, importedOrThrow, importFlagd } from './index.js';

const BOOL = { type: 'boolean', variants: { on: true, off: false }, defaultVariant: 'off', enabled: true };

describe('compileFlagSetOrThrow', () => {
  it('throws FLOWLINE_FLAGS_INVALID with every issue, the first one as location and hint', () => {
    const definition = { flags: { f: { ...BOOL, defaultVariant: 'of', killVariant: 'x' } } };
    const error = catchError(() => compileFlagSetOrThrow(definition));
    expect(error.code).toBe('FLOWLINE_FLAGS_INVALID');
    expect(error.message).toBe('the flag set has 2 problems; the first: flag `f` has no variant `of`');
    expect(error.location).toEqual({ path: 'flags.f.defaultVariant' });
    expect(error.hint).toBe('did you mean `off`?');
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'flags.f.defaultVariant',
      'flags.f.killVariant',
    ]);
  });

  it('throws FLOWLINE_FLAGS_TOO_LARGE (HTTP 413) when only size caps are exceeded', () => {
    const definition = { flags: { a: BOOL, b: BOOL } };
    expect(catchError(() => compileFlagSetOrThrow(definition, { limits: { maxFlags: 1 } })).code).toBe(
      'FLOWLINE_FLAGS_TOO_LARGE',
    );
  });

  it('turns a failed import into FLOWLINE_FLAGS_IMPORT_INVALID', () => {
    expect(catchError(() => importedOrThrow(importFlagd('[]'))).code).toBe('FLOWLINE_FLAGS_IMPORT_INVALID');
  });
});

function catchError(fn: () => unknown): FlowlineError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FlowlineError) return error;
    throw error;
  }
  throw new Error('expected a FlowlineError');
}
