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
      const lines = [head, ...excerpt(issue, options, c)];
      if (issue.hint !== undefined) lines.push(`  ${c.cyan('hint:')} ${issue.hint}`);
      return lines.join('\n');
    })
    .join('\n');
}

function excerpt(issue: Issue, options: FormatOptions, c: ReturnType<typeof pc.createColors>): string[] {
  if (issue.file === undefined || issue.line === undefined) return [];
  const text = options.sources?.[issue.file] ?? REMEMBERED.get(issue.file);
  const line = text?.split(/\r?\n/)[issue.line - 1];
  if (line === undefined || line.trim() === '') return [];
  const number = String(issue.line);
  const gutter = ' '.repeat(number.length);
  const column = Math.max(1, issue.column ?? 1);
  const width = tokenWidth(line.slice(column - 1));
  const pad = line.slice(0, column - 1).replace(/[^\t]/g, ' ');
  return [
    `  ${c.dim(`${number} |`)} ${line}`,
    `  ${c.dim(`${gutter} |`)} ${pad}${c.red('^'.repeat(Math.max(1, Math.min(width, 60))))}`,
  ];
}

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
