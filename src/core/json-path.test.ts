import { describe, expect, it } from 'vitest';
import { parseJsonPath, readJsonPath } from './json-path.js';

const read = (value: unknown, path: string) => {
  const parsed = parseJsonPath(path);
  if (!parsed.ok) throw new Error(`${path}: ${parsed.error.message}`);
  return readJsonPath(value, parsed.segments);
};

describe('the JSONPath dialect of smoke checks and web metrics', () => {
  const body = {
    service: 'hello',
    revision: 'r1',
    items: [{ id: 'a1', ok: true }],
    data: { items: [{ p99: 12.5, 'p99 ms': 13 }], "it's": 1, 'say "hi"': 2, 'a-b': 3 },
  };

  it('reads the examples in docs/config.md and docs/analysis.md', () => {
    expect(read(body, '$.service')).toEqual({ found: true, value: 'hello' });
    expect(read(body, '$.revision')).toEqual({ found: true, value: 'r1' });
    expect(read(body, '$.items[0].id')).toEqual({ found: true, value: 'a1' });
    expect(read(body, '$.data.items[0].p99')).toEqual({ found: true, value: 12.5 });
    expect(read(body, '$.data.items[0]["p99 ms"]')).toEqual({ found: true, value: 13 });
    expect(read(body, "$['data']['items'][0]['p99 ms']")).toEqual({ found: true, value: 13 });
    expect(read(body, '$')).toEqual({ found: true, value: body });
  });

  it('reads quoted names with escaped quotes, and dashes in plain names', () => {
    expect(read(body, "$.data['it\\'s']")).toEqual({ found: true, value: 1 });
    expect(read(body, '$.data["say \\"hi\\""]')).toEqual({ found: true, value: 2 });
    expect(read(body, '$.data.a-b')).toEqual({ found: true, value: 3 });
  });

  it('finds nothing where a step is missing or of the other kind', () => {
    expect(read(body, '$.nope')).toEqual({ found: false });
    expect(read(body, '$.items[1]')).toEqual({ found: false });
    expect(read(body, '$.service.length')).toEqual({ found: false }); // a field reads objects only
    expect(read(body, '$.data[0]')).toEqual({ found: false }); // an index reads arrays only
    expect(read({ a: null }, '$.a.b')).toEqual({ found: false });
    expect(read({ a: null }, '$.a')).toEqual({ found: true, value: null });
  });

  it('refuses what it does not read, at the column where it starts, instead of skipping it', () => {
    const error = (path: string) => {
      const parsed = parseJsonPath(path);
      return parsed.ok ? undefined : [parsed.error.message, parsed.error.column];
    };
    expect(error('service')).toEqual(['a JSON path starts with `$`', 1]);
    expect(error('$..id')).toEqual(['recursive descent (`..`) is not supported', 2]);
    expect(error('$.items[*]')).toEqual(['expected `[<index>]` or `["field"]`', 8]);
    expect(error('$.items[?(@.ok)]')).toEqual(['expected `[<index>]` or `["field"]`', 8]);
    expect(error('$.items[0:2]')).toEqual(['expected `[<index>]` or `["field"]`', 8]);
    expect(error('$.*')).toEqual(['expected a field name after `.`', 3]);
    expect(error('$.a b')).toEqual(['unexpected ` ` in a JSON path', 4]);
  });
});
