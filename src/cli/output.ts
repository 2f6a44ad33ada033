import pc from 'picocolors';
import { type ErrorBody, type FlowlineError, formatLocation, type Issue } from '../core/errors.js';

/** Where command output goes. Data to stdout, progress and diagnostics to stderr. */
export interface Streams {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string;
}

/** Renders rows as an aligned text table with a header line. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [pc.bold(line(columns.map((c) => c.header.toUpperCase()))), ...cells.map(line)].join('\n');
}

export function writeJson(streams: Streams, value: unknown): void {
  streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Renders issues one per line, compiler style: `file:line:col  code  path: message` and a hint. */
export function renderIssues(issues: readonly Issue[]): string {
  return issues
    .map((issue) => {
      const where = formatLocation(issue);
      const head = `${where === '' ? '' : `${pc.cyan(where)}  `}${pc.red(issue.code)}  ${issue.message}`;
      return issue.hint === undefined ? head : `${head}\n    ${pc.dim('hint:')} ${issue.hint}`;
    })
    .join('\n');
}

/** Prints an error for humans (stderr) or as `{ "error": … }` (stdout) under --json. */
export function writeError(streams: Streams, error: FlowlineError, json: boolean): void {
  if (json) {
    writeJson(streams, { error: error.toJSON() satisfies ErrorBody });
    return;
  }
  const lines = [`${pc.red(pc.bold('error'))} ${pc.dim(error.code)}  ${error.message}`];
  if (error.location !== undefined) lines.push(`  ${pc.dim('at:')} ${formatLocation(error.location)}`);
  if (error.issues.length > 0) lines.push(indent(renderIssues(error.issues), 2));
  if (error.hint !== undefined) lines.push(`  ${pc.dim('hint:')} ${error.hint}`);
  streams.stderr.write(`${lines.join('\n')}\n`);
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

/** "3m ago", "2h ago": ages in listings. */
export function age(iso: string | null | undefined, now: Date = new Date()): string {
  if (iso === null || iso === undefined) return '-';
  const seconds = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}
