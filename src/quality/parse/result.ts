/**
 * What every report parser returns: the metrics it measured, or why the file cannot be read as
 * that format, with the line (and column) when the parser can tell. Parsers are pure: text in.
 */
export type Parsed =
  | { readonly ok: true; readonly values: Readonly<Record<string, number>> }
  | { readonly ok: false; readonly problem: ReportProblem };

export interface ReportProblem {
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

export const measured = (values: Record<string, number>): Parsed => ({ ok: true, values });

export const malformed = (message: string, line?: number, column?: number): Parsed => ({
  ok: false,
  problem: { message, ...(line === undefined ? {} : { line }), ...(column === undefined ? {} : { column }) },
});

/**
 * A JSON document, or the problem with its line and column (from the parser's offset). The
 * parser's own message is not kept: newer engines quote the text around the error, and a report
 * file's text has no place in a record others read.
 */
export function readJson(text: string): { ok: true; value: unknown } | { ok: false; parsed: Parsed } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const at = /position (\d+)/.exec((error as Error).message);
    if (at === null) return { ok: false, parsed: malformed('not JSON') };
    const before = text.slice(0, Number(at[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return { ok: false, parsed: malformed('not JSON', line, column) };
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rounded to two decimals: coverage percentages as tools print them, without float noise. */
export const percent = (covered: number, total: number): number =>
  Math.round((covered / total) * 10_000) / 100;
