/**
 * Flowline's one JSONPath dialect, read by smoke checks (`expectBody.jsonPath`) and web metrics
 * (`provider.web.jsonPath`): `$`, `.field`, `[0]`, `['field']`, `["field"]` (a backslash escapes a quote),
 * combined (`$.data.items[0]["p99 ms"]`). It names one value: wildcards, filters, slices and
 * recursive descent are refused with a message and a column, never skipped, so a path always reads
 * the same value, and a path that reads nothing says so.
 */

/** Where a path cannot be read: the message, its 0-based offset and 1-based column, a hint. */
export interface JsonPathError {
  readonly message: string;
  readonly offset: number;
  readonly column: number;
  readonly hint?: string;
}

export type JsonPathSegment = string | number;

/** Parses a path into its steps: field names and array indexes. */
export function parseJsonPath(
  text: string,
): { ok: true; segments: JsonPathSegment[] } | { ok: false; error: JsonPathError } {
  const fail = (message: string, offset: number, hint?: string) => ({
    ok: false as const,
    error: { message, offset, column: offset + 1, ...(hint === undefined ? {} : { hint }) },
  });
  if (!text.startsWith('$')) return fail('a JSON path starts with `$`', 0, 'write e.g. `$.data.value`');
  const segments: JsonPathSegment[] = [];
  let i = 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '.') {
      if (text[i + 1] === '.')
        return fail('recursive descent (`..`) is not supported', i, 'write the full path, e.g. `$.a.b`');
      const field = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(text.slice(i + 1))?.[0];
      if (field === undefined) {
        const hint =
          text[i + 1] === '*'
            ? 'wildcards are not supported; name the field or index'
            : 'write `.field`, or `["odd name"]`';
        return fail('expected a field name after `.`', i + 1, hint);
      }
      segments.push(field);
      i += 1 + field.length;
    } else if (ch === '[') {
      const index = /^\[(\d+)\]/.exec(text.slice(i));
      const quoted = /^\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/.exec(text.slice(i));
      if (index?.[1] !== undefined) {
        segments.push(Number(index[1]));
        i += index[0].length;
      } else if (quoted) {
        segments.push((quoted[1] ?? quoted[2] ?? '').replace(/\\(.)/g, '$1'));
        i += quoted[0].length;
      } else {
        return fail(
          'expected `[<index>]` or `["field"]`',
          i,
          'filters, slices and wildcards are not supported',
        );
      }
    } else {
      return fail(`unexpected \`${ch}\` in a JSON path`, i, 'write e.g. `$.data.items[0].value`');
    }
  }
  return { ok: true, segments };
}

/**
 * Reads `segments` from `value`; `found: false` when a step is missing (no data, not an error). An
 * index reads only arrays and a field only objects.
 */
export function readJsonPath(
  value: unknown,
  segments: readonly JsonPathSegment[],
): { found: true; value: unknown } | { found: false } {
  let current = value;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment >= current.length) return { found: false };
      current = current[segment];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) return { found: false };
      if (!Object.hasOwn(current, segment)) return { found: false };
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return { found: true, value: current };
}
