import pc from 'picocolors';
import { formatLocation, type Issue } from '../core/errors.js';

/**
 * Renders issues like a compiler, one block per issue:
 *
 *     flowline.yaml:12:5 error unknown_key environments.prod.stratgy: unknown key `stratgy`
 *       12 |     stratgy:
 *          |     ^^^^^^^
 *       hint: did you mean `strategy`?
 *
 * The source line is shown when the text of the file is known: passed in `sources`, or
 * remembered from a recent {@link parseConfig} of a file of that name.
 */
export interface FormatOptions {
  readonly color: boolean;
  /** Forces the label; by default codes of warnings (`unused_template`, …) read `warning`. */
  readonly severity?: 'error' | 'warning';
  /** File texts by the file name used in the issues. */
  readonly sources?: Readonly<Record<string, string>>;
}

/** Codes the parser reports as warnings rather than errors. */
export const WARNING_CODES: ReadonlySet<string> = new Set([
  'ttl_ignored',
  'unused_template',
  'unused_segment',
  'empty_segment',
  'yaml_warning',
  'more_warnings',
]);

const REMEMBERED = new Map<string, string>();
const REMEMBER_MAX = 8;

/** Keeps the text of a parsed file for carets in {@link formatIssues} (a few files, newest kept). */
export function rememberSource(file: string, text: string): void {
  REMEMBERED.delete(file);
  REMEMBERED.set(file, text);
  if (REMEMBERED.size > REMEMBER_MAX) {
    const oldest = REMEMBERED.keys().next().value;
    if (oldest !== undefined) REMEMBERED.delete(oldest);
  }
}

export function formatIssues(issues: readonly Issue[], options: FormatOptions): string {
  const c = pc.createColors(options.color);
  // Each file is split into lines once per call, not once per issue (a file can be 1 MiB).
  const lines = new Map<string, readonly string[]>();
  const linesOf = (file: string): readonly string[] | undefined => {
    const text = options.sources?.[file] ?? REMEMBERED.get(file);
    if (text === undefined) return undefined;
    let split = lines.get(file);
    if (split === undefined) {
      split = text.split(/\r?\n/);
      lines.set(file, split);
    }
    return split;
  };
  return issues
    .map((issue) => {
      const severity = options.severity ?? (WARNING_CODES.has(issue.code) ? 'warning' : 'error');
      const label = severity === 'error' ? c.red(c.bold('error')) : c.yellow(c.bold('warning'));
      const where = formatLocation({
        ...(issue.file === undefined ? {} : { file: issue.file }),
        ...(issue.line === undefined ? {} : { line: issue.line }),
        ...(issue.column === undefined ? {} : { column: issue.column }),
      });
      const subject = issue.path === undefined || issue.path === '' ? '' : ` ${issue.path}`;
      const head = `${where === '' ? '' : `${c.bold(where)} `}${label} ${c.dim(issue.code)}${subject}: ${issue.message}`;
      const block = [head, ...excerpt(issue, linesOf, c)];
      if (issue.hint !== undefined) block.push(`  ${c.cyan('hint:')} ${issue.hint}`);
      return block.join('\n');
    })
    .join('\n');
}

function excerpt(
  issue: Issue,
  linesOf: (file: string) => readonly string[] | undefined,
  c: ReturnType<typeof pc.createColors>,
): string[] {
  if (issue.file === undefined || issue.line === undefined) return [];
  const line = linesOf(issue.file)?.[issue.line - 1];
  if (line === undefined || line.trim() === '') return [];
  const number = String(issue.line);
  const gutter = ' '.repeat(number.length);
  const column = Math.max(1, issue.column ?? 1);
  // A long line (a file can be one line of 1 MiB) is shown around the column only.
  let shown = line;
  let caret = column - 1;
  if (line.length > MAX_SHOWN) {
    const start = Math.max(0, caret - 40);
    const end = Math.min(line.length, start + MAX_SHOWN);
    shown = `${start > 0 ? '…' : ''}${line.slice(start, end)}${end < line.length ? '…' : ''}`;
    caret = caret - start + (start > 0 ? 1 : 0);
  }
  const width = tokenWidth(shown.slice(caret));
  const pad = shown.slice(0, caret).replace(/[^\t]/g, ' ');
  return [
    `  ${c.dim(`${number} |`)} ${shown}`,
    `  ${c.dim(`${gutter} |`)} ${pad}${c.red('^'.repeat(Math.max(1, Math.min(width, 60))))}`,
  ];
}

/** The longest part of a source line an excerpt shows. */
const MAX_SHOWN = 160;

/** Width of the YAML token starting a line's rest: a quoted string, a key (up to `:`), or a plain value. */
function tokenWidth(rest: string): number {
  if (rest.startsWith('"') || rest.startsWith("'")) {
    const quote = rest[0];
    const end = rest.indexOf(quote ?? '"', 1);
    return end === -1 ? rest.length : end + 1;
  }
  const key = /^([^\s:,[\]{}#][^:,[\]{}]*?):(?:\s|$)/.exec(rest);
  if (key?.[1] !== undefined) return key[1].length;
  return /^[^,\]}]*?(?=\s+#|\s*[,\]}]|\s*$)/.exec(rest)?.[0].length ?? 1;
}
