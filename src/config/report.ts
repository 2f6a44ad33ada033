import type { Issue } from '../core/errors.js';
import { counted } from '../core/plural.js';
import { MAX_REPORTED, type WorkMeter } from './limits.js';
import { locate, type PathSegment, type RawIssue, type Source } from './source.js';
import type { SuggestBudget } from './suggest.js';

/**
 * Raw problems become the issues a user reads: located in the file, sorted by position, repeats
 * dropped, and cut to the first {@link MAX_REPORTED} with one more issue saying how many were
 * left out. Hints that compare names are written only for the issues kept.
 */

export interface ReportContext {
  readonly source: Source;
  readonly file: string;
  readonly meter: WorkMeter;
  /** Shared by every hint of the parse. */
  readonly budget: SuggestBudget;
}

/** The codes of the issue that closes a cut list. */
export const MORE_ERRORS = 'more_errors';
export const MORE_WARNINGS = 'more_warnings';

/** `omitted`: problems only counted upstream (see MAX_DESCRIBED), all placed after `raws`. */
export function report(
  raws: readonly RawIssue[],
  kind: 'errors' | 'warnings',
  ctx: ReportContext,
  omitted = 0,
): Issue[] {
  const { meter, file } = ctx;
  meter.units += raws.length;
  const located = raws.map((raw) => {
    const position = raw.position ?? locate(ctx.source, raw.path, raw.at, meter);
    // One number per position (lines and columns are below 2^21 in a file of at most 1 MiB):
    // a file of broken lines has half a million problems to sort. The sort is stable.
    return { raw, position, order: position.line * 2 ** 21 + position.column, path: formatPath(raw.path) };
  });
  located.sort((a, b) => a.order - b.order);
  const seen = new Set<string>();
  // The schema and the rules can report one problem twice; at another place it is another problem.
  const unique = located.filter(({ raw, path, order }) => {
    const key = `${order}\u0000${raw.code}\u0000${path}\u0000${raw.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const issues: Issue[] = unique.slice(0, MAX_REPORTED).map(({ raw, position, path }) => {
    const hint = typeof raw.hint === 'function' ? raw.hint(ctx.budget) : raw.hint;
    return {
      code: raw.code,
      message: raw.message,
      file,
      line: position.line,
      column: position.column,
      ...(path === '' ? {} : { path }),
      ...(hint === undefined ? {} : { hint }),
    };
  });
  const more = unique.length - issues.length + omitted;
  const next = unique[MAX_REPORTED] ?? unique.at(-1);
  if (more > 0 && next !== undefined) {
    const what = kind === 'errors' ? 'problem' : 'warning';
    issues.push({
      code: kind === 'errors' ? MORE_ERRORS : MORE_WARNINGS,
      message: `${counted(more, `more ${what}`)} not shown: at most ${MAX_REPORTED} are reported`,
      file,
      line: next.position.line,
      column: next.position.column,
      hint: 'fix the ones shown and validate again',
    });
  }
  return issues;
}

/** `environments.production.strategy.canary.steps[2].setWeight`; odd keys as `env["a.b"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
