import { MAX_REPORTED } from '../config/index.js';
import { FlowlineError, type Issue, type Location } from '../core/errors.js';
import type { RowPlace } from './types.js';

/**
 * Every problem of a file, collected rather than thrown at the first, so the user fixes the file
 * in one go. Described up to {@link MAX_REPORTED}; past that only counted (a file of 100,000 bad
 * rows must not build 100,000 messages).
 */
export class Problems {
  readonly issues: Issue[] = [];
  count = 0;

  constructor(readonly file: string) {}

  add(code: string, message: string, at: Location, hint?: string): void {
    this.count++;
    if (this.issues.length >= MAX_REPORTED) return;
    this.issues.push({ code, message, ...at, ...(hint === undefined ? {} : { hint }) });
  }

  /** Throws FLOWLINE_IMPORT_INVALID listing every problem, if there is any. */
  throwIfAny(): void {
    if (this.count === 0) return;
    // In the order of the file: structure is checked before values, but a reader fixes top down.
    const issues = [...this.issues].sort((a, b) => order(a) - order(b));
    if (this.count > issues.length) {
      issues.push({
        code: 'FLOWLINE_IMPORT_INVALID',
        message: `${this.count - issues.length} more problems not shown: at most ${MAX_REPORTED} are reported`,
        file: this.file,
      });
    }
    throw new FlowlineError(
      'FLOWLINE_IMPORT_INVALID',
      `${this.file} has ${this.count === 1 ? 'a problem' : `${this.count} problems`}; nothing was imported.`,
      {
        issues,
        hint: 'Fix every row listed and import the file again: it is imported whole or not at all.',
      },
    );
  }
}

/** The location of one field of a row: `file:line` and the column (CSV), or its JSON path. */
export function at(place: RowPlace, field?: string): Location {
  if (place.path !== undefined) {
    return { file: place.file, path: field === undefined ? place.path : `${place.path}.${field}` };
  }
  return {
    file: place.file,
    ...(place.line === undefined ? {} : { line: place.line }),
    ...(field === undefined ? {} : { path: field }),
  };
}

/** Where an issue is in its file: its line, else its row's index in the JSON list (-1: the file). */
function order(issue: Location): number {
  if (issue.line !== undefined) return issue.line;
  const row = /^\w+\[(\d+)\]/.exec(issue.path ?? '');
  return row === null ? -1 : Number(row[1]);
}
