import { CsvError, parse } from 'csv-parse/sync';
import { closest, listOf } from '../config/index.js';
import { FlowlineError } from '../core/errors.js';
import type { Field } from './fields.js';
import { at, type Problems } from './problems.js';
import type { HistoryFile, HistoryFormat, RowPlace } from './types.js';

/**
 * History files to rows of raw text values, whatever the format: CSV (csv-parse: quotes, commas
 * and newlines in fields, a BOM) with a header row naming the columns, or JSON, an object whose
 * one key names the kind (`{"deployments": [ {…}, … ]}`). Structure problems are collected;
 * values are checked by the caller against the field table.
 */

/** Rows per file: 200,000 deployments import in about 20 s on a 2-core machine (docs/benchmarks.md). */
export const MAX_ROWS = 200_000;

/** One row: where it is, and its fields by name (absent or empty: not given). */
export interface RawRow {
  readonly place: RowPlace;
  readonly values: ReadonlyMap<string, string>;
}

/** The format of a file: as told, else by extension, else by its first character. */
export function formatOf(file: HistoryFile): HistoryFormat {
  if (file.format !== undefined) return file.format;
  const lower = file.name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.json')) return 'json';
  return /^\uFEFF?\s*[{[]/.test(file.text) ? 'json' : 'csv';
}

/** The rows of a file, or none with the problems found. An empty file throws FLOWLINE_IMPORT_EMPTY. */
export function readRows(
  file: HistoryFile,
  kind: 'deployments' | 'incidents',
  fields: readonly Field[],
  problems: Problems,
): RawRow[] {
  const rows =
    formatOf(file) === 'csv' ? csvRows(file, fields, problems) : jsonRows(file, kind, fields, problems);
  if (rows.length > MAX_ROWS) {
    // One transaction holds the store's write lock while it runs: a bounded file keeps it to seconds.
    throw new FlowlineError(
      'FLOWLINE_IMPORT_FORMAT',
      `${file.name} holds ${rows.length} ${kind}; at most ${MAX_ROWS} are imported at once.`,
      {
        hint: 'Split it by time: each part is imported whole, and importing a part again changes nothing.',
        location: { file: file.name },
      },
    );
  }
  if (rows.length === 0 && problems.count === 0) {
    throw new FlowlineError('FLOWLINE_IMPORT_EMPTY', `${file.name} holds no ${kind}.`, {
      hint: 'Check that it is the right file; docs/metrics.md "Importing history" shows the format.',
      location: { file: file.name },
    });
  }
  return rows;
}

function csvRows(file: HistoryFile, fields: readonly Field[], problems: Problems): RawRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(file.text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      relax_column_count: true, // counted per row below, so every short row is reported
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = (error as CsvError & { lines?: number }).lines;
    problems.add('FLOWLINE_IMPORT_FORMAT', `not well-formed CSV: ${error.message}`, {
      file: file.name,
      ...(line === undefined ? {} : { line }),
    });
    return [];
  }
  const [header, ...body] = records;
  if (header === undefined) return [];
  const columns = header.record;
  checkNames(columns, fields, problems, (column) => ({
    file: file.name,
    line: header.info.lines,
    path: column,
  }));
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column)) {
      problems.add('FLOWLINE_IMPORT_COLUMNS', `the column \`${column}\` is named twice`, {
        file: file.name,
        line: header.info.lines,
        path: column,
      });
    }
    seen.add(column);
  }
  if (problems.count > 0) return [];
  return body.flatMap(({ record, info }) => {
    const place = { file: file.name, line: info.lines };
    if (record.length !== columns.length) {
      problems.add(
        'FLOWLINE_IMPORT_FORMAT',
        `the row has ${record.length} fields; the header names ${columns.length}`,
        at(place),
        'A comma inside a value needs the value in double quotes.',
      );
      return [];
    }
    const values = new Map<string, string>();
    record.forEach((value, i) => {
      if (value !== '') values.set(columns[i] ?? '', value);
    });
    return [{ place, values }];
  });
}

function jsonRows(
  file: HistoryFile,
  kind: 'deployments' | 'incidents',
  fields: readonly Field[],
  problems: Problems,
): RawRow[] {
  const text = file.text.replace(/^\uFEFF/, '');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    problems.add('FLOWLINE_IMPORT_FORMAT', `not well-formed JSON: ${(error as Error).message}`, {
      file: file.name,
      ...positionOf(text, (error as Error).message),
    });
    return [];
  }
  const list =
    typeof document === 'object' && document !== null && !Array.isArray(document)
      ? (document as Record<string, unknown>)[kind]
      : undefined;
  if (!Array.isArray(list)) {
    problems.add(
      'FLOWLINE_IMPORT_FORMAT',
      `the document is not an object with a \`${kind}\` list`,
      {
        file: file.name,
        path: kind,
      },
      `Write {"${kind}": [ … ]}.`,
    );
    return [];
  }
  for (const key of Object.keys(document as object)) {
    if (key !== kind) {
      problems.add(
        'FLOWLINE_IMPORT_COLUMNS',
        `\`${key}\` is not read: a ${kind} file holds only \`${kind}\``,
        {
          file: file.name,
          path: key,
        },
      );
    }
  }
  return list.flatMap((item, index) => {
    const place = { file: file.name, path: `${kind}[${index}]` };
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.add('FLOWLINE_IMPORT_FORMAT', 'is not an object', at(place));
      return [];
    }
    const entries = Object.entries(item as Record<string, unknown>);
    checkNames(
      entries.map(([key]) => key),
      fields,
      problems,
      (key) => at(place, key),
      false,
    );
    const values = new Map<string, string>();
    for (const [key, value] of entries) {
      if (value === null || value === '') continue;
      if (typeof value !== 'string') {
        problems.add(
          'FLOWLINE_IMPORT_VALUE',
          `is ${typeof value === 'number' ? 'a number' : `a ${typeof value}`}; write it as a string`,
          at(place, key),
        );
        continue;
      }
      values.set(key, value.trim());
    }
    return [{ place, values }];
  });
}

/**
 * Unknown names (a typo: `startAt`), and, for a CSV header, required columns missing. A JSON row
 * misses required fields row by row instead (checked with the values).
 */
function checkNames(
  names: readonly string[],
  fields: readonly Field[],
  problems: Problems,
  where: (name: string) => ReturnType<typeof at>,
  header = true,
): void {
  const known = fields.map((f) => f.name);
  for (const name of names) {
    if (known.includes(name)) continue;
    const near = closest(name, known);
    problems.add(
      'FLOWLINE_IMPORT_COLUMNS',
      `\`${name}\` is not a ${header ? 'column' : 'field'} Flowline reads`,
      where(name),
      near === undefined ? `Known: ${listOf(known, 'and')}.` : `did you mean \`${near}\`?`,
    );
  }
  if (!header) return;
  for (const field of fields) {
    // `service` may come from --service instead: the caller checks each row.
    if (field.required && field.name !== 'service' && !names.includes(field.name)) {
      problems.add('FLOWLINE_IMPORT_COLUMNS', `the required column \`${field.name}\` is missing`, {
        ...where(field.name),
      });
    }
  }
}

/** `line:column` of a JSON syntax error, from the position V8 names in its message. */
function positionOf(text: string, message: string): { line?: number; column?: number } {
  const match = /position (\d+)/.exec(message);
  if (match === null) return {};
  const offset = Number(match[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
