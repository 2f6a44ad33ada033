import type { FlagSetLimits } from './limits.js';
import type { FlagIssue } from './types.js';

/**
 * What the compiler carries while it walks a definition: the limits, the issues found so far
 * (every problem is reported, not only the first), and per-flag counters.
 */
export class CompileScope {
  readonly issues: FlagIssue[] = [];
  readonly warnings: FlagIssue[] = [];
  /** Conditions counted in the flag being compiled. */
  conditions = 0;
  conditionsReported = false;
  /** Set when a condition reads the evaluation time (`$now`). */
  usesNow = false;

  constructor(readonly limits: FlagSetLimits) {}

  error(code: string, message: string, path: string, hint?: string): undefined {
    this.issues.push(hint === undefined ? { code, message, path } : { code, message, path, hint });
    return undefined;
  }

  warn(code: string, message: string, path: string, hint?: string): void {
    this.warnings.push(hint === undefined ? { code, message, path } : { code, message, path, hint });
  }

  /** Counts one condition of the current flag; false once over the cap (reported once). */
  countCondition(path: string): boolean {
    this.conditions += 1;
    if (this.conditions <= this.limits.maxConditionsPerFlag) return true;
    if (!this.conditionsReported) {
      this.conditionsReported = true;
      this.error(
        'too_many_conditions',
        `more than ${this.limits.maxConditionsPerFlag} conditions in one flag`,
        path,
        'move shared conditions into a segment, or use `in` with a list of values',
      );
    }
    return false;
  }

  /** Checks that a value is a string of 1..maxStringLength characters. */
  text(value: unknown, path: string, what: string): string | undefined {
    if (typeof value !== 'string' || value === '') {
      return this.error('invalid_type', `${what} must be a non-empty string`, path);
    }
    if (value.length > this.limits.maxStringLength) {
      return this.error(
        'too_long',
        `${what} is ${value.length} characters long, more than ${this.limits.maxStringLength}`,
        path,
      );
    }
    return value;
  }

  /** Reports keys of `value` other than `allowed` (a typo must not be silently ignored). */
  onlyKeys(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.error(
          'unknown_field',
          `unknown field \`${key}\``,
          join(path, key),
          `expected one of ${allowed.map((k) => `\`${k}\``).join(', ')}`,
        );
      }
    }
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a.b`, or `a[2]` for a number. */
export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return `${typeof value} ${String(value)}`;
}
