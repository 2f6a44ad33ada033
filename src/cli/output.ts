import pc from 'picocolors';
import { type ErrorBody, type FlowlineError, formatLocation, type Issue } from '../core/errors.js';

/** Where command output goes. Data to stdout, progress and diagnostics to stderr. */
export interface Streams {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC starts cursor moves, title
 * changes, …), DEL, C1 controls (U+009B is CSI on some terminals), the bidi controls that reorder
 * what is shown (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069) and the line and paragraph
 * separators U+2028/9.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The same characters but the C0 controls, which JSON.stringify escapes itself. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** What `printable` may leave as it is, where the layout allows it. */
export interface PrintableOptions {
  /** Keep tabs (a log line). */
  readonly tabs?: boolean;
  /** Keep newlines (a multi-line message); a table cell keeps neither. */
  readonly newlines?: boolean;
}

/**
 * Text that came from outside the CLI (a server, the store, a CI machine's run, a stage log, a
 * file), made safe to print: every character in {@link UNSAFE} is shown as a visible escape
 * (`\x1b`, `\x07`, `\u202e`, `\r`), so a recorded value can neither move the cursor, retitle the
 * terminal nor reorder a line to fake output such as "✔ all tests passed". Colour our own text
 * after this, never before: escapes in the text are shown, not obeyed.
 */
export function printable(text: string, options: PrintableOptions = {}): string {
  return text.replace(UNSAFE, (char) => {
    if ((char === '\t' && options.tabs === true) || (char === '\n' && options.newlines === true)) return char;
    const code = char.charCodeAt(0);
    return SHORT_ESCAPES[char] ?? (code < 0x100 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`);
  });
}

function hex(code: number, digits: number): string {
  return code.toString(16).padStart(digits, '0');
}

export interface Column<T> {
  readonly header: string;
  /** The cell's text; it is made {@link printable} by the table. */
  readonly value: (row: T) => string;
  /** Colours the (printable) cell text, e.g. red for a failure. */
  readonly paint?: (text: string, row: T) => string;
}

/**
 * Renders rows as an aligned text table with a header line. Every cell is made printable first:
 * tables list stored text (hosts, branches, reasons), which may hold control characters.
 */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => printable(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[], row?: T) =>
    values
      .map((v, i) => {
        const paint = columns[i]?.paint;
        const shown = row === undefined || paint === undefined ? v : paint(v, row);
        // Padding after the paint: colour codes take no room on the terminal.
        return i === values.length - 1 ? shown : shown + ' '.repeat(Math.max(0, (widths[i] ?? 0) - v.length));
      })
      .join('  ')
      .trimEnd();
  return [
    pc.bold(line(columns.map((c) => c.header.toUpperCase()))),
    ...cells.map((values, i) => line(values, rows[i])),
  ].join('\n');
}

/**
 * JSON for stdout. JSON.stringify escapes C0 controls but leaves DEL, C1 and bidi controls as
 * they are; they are escaped here too (`\u009b`), which any JSON parser reads back unchanged.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (char) => `\\u${hex(char.charCodeAt(0), 4)}`);
}

/**
 * Resolves once everything written on `stream` so far has left the process. Progress goes to
 * stderr and results to stdout; when both are one pipe (`2>&1 | cat`, a CI log) and the pipe is
 * full, Node queues stderr's writes while a later stdout write may go out at once, and the
 * summary lands in the middle of the log. Commands wait for stderr before writing their result.
 */
export function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    // The callback runs after every earlier write (in order), or with an error: resolve either way.
    stream.write('', () => resolve());
  });
}

/** Prints `value` on stdout as {@link jsonText}, one document per command. */
export function writeJson(streams: Streams, value: unknown): void {
  streams.stdout.write(`${jsonText(value)}\n`);
}

/** Renders issues one per line, compiler style: `file:line:col  code  path: message` and a hint. */
export function renderIssues(issues: readonly Issue[]): string {
  const lines = { newlines: true } as const;
  return issues
    .map((issue) => {
      const where = printable(formatLocation(issue));
      const head = `${where === '' ? '' : `${pc.cyan(where)}  `}${pc.red(printable(issue.code))}  ${printable(issue.message, lines)}`;
      return issue.hint === undefined
        ? head
        : `${head}\n    ${pc.dim('hint:')} ${printable(issue.hint, lines)}`;
    })
    .join('\n');
}

/**
 * Prints an error for humans (stderr) or as `{ "error": … }` (stdout) under --json. Messages
 * embed user text (names, a server's answer), so they are made printable.
 */
export function writeError(streams: Streams, error: FlowlineError, json: boolean): void {
  if (json) {
    writeJson(streams, { error: error.toJSON() satisfies ErrorBody });
    return;
  }
  const text = (value: string) => printable(value, { newlines: true });
  const lines = [`${pc.red(pc.bold('error'))} ${pc.dim(printable(error.code))}  ${text(error.message)}`];
  if (error.location !== undefined)
    lines.push(`  ${pc.dim('at:')} ${printable(formatLocation(error.location))}`);
  if (error.issues.length > 0) lines.push(indent(renderIssues(error.issues), 2));
  if (error.hint !== undefined) lines.push(`  ${pc.dim('hint:')} ${text(error.hint)}`);
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
