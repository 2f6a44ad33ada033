import { describe, expect, it } from 'vitest';
import { locate, positionAt, syntaxErrorPosition } from './flags-json.js';

const text = `{
  "type": "boolean",
  "variants": { "on": true, "v1.2": false },
  "rules": [
    { "serve": { "variant": "on" } },
    { "when": { "attribute": "country", "op": "in", "values": ["NL", "DE"] }, "serve": { "variant": "onn" } }
  ]
}`;

describe('locate', () => {
  it('points at the key of an object field, however deep', () => {
    expect(locate(text, 'rules[1].serve.variant')).toEqual({ line: 6, column: 90 });
    expect(locate(text, 'type')).toEqual({ line: 2, column: 3 });
  });

  it('points at a list item by its index', () => {
    expect(locate(text, 'rules[1].when.values[1]')).toEqual({ line: 6, column: 70 });
  });

  it('reads keys that hold dots, the longest match first', () => {
    expect(locate(text, 'variants.v1.2')).toEqual({ line: 3, column: 29 });
  });

  it('stops at the deepest field that exists when the path goes further', () => {
    expect(locate(text, 'rules[0].when.attribute')).toEqual({ line: 5, column: 5 });
    expect(locate(text, 'fallthrough')).toEqual({ line: 1, column: 1 });
  });

  it('gives up on text that is not JSON', () => {
    expect(locate('{ "a": ', 'a')).toBeUndefined();
  });
});

describe('syntaxErrorPosition', () => {
  it('reads V8 and Firefox messages', () => {
    expect(
      syntaxErrorPosition('{\n  "a" 1', "Expected ':' after property name in JSON at position 8"),
    ).toEqual({
      line: 2,
      column: 7,
    });
    expect(
      syntaxErrorPosition(
        '',
        "JSON.parse: expected ':' after property name in object at line 2 column 7 of the JSON data",
      ),
    ).toEqual({ line: 2, column: 7 });
  });

  it('places an unexpected end at the end of the text', () => {
    expect(syntaxErrorPosition('{\n', 'Unexpected end of JSON input')).toEqual({ line: 2, column: 1 });
  });

  it('agrees with what this engine throws', () => {
    const bad = '{\n  "a": 1,\n  "b" 2\n}';
    try {
      JSON.parse(bad);
    } catch (error) {
      expect(syntaxErrorPosition(bad, (error as Error).message)).toEqual(positionAt(bad, bad.indexOf('2')));
    }
  });
});
