/**
 * Positions in the editor's JSON text: where a field path (`rules[1].serve.variant`) is, and
 * where a syntax error is. The server answers paths; only the page holds the text, so it turns
 * them into line:col. Pure: tested in node (flags-json.test.ts).
 */

export interface Position {
  readonly line: number;
  readonly column: number;
}

type Node =
  | { readonly kind: 'object'; readonly at: number; readonly entries: readonly Entry[] }
  | { readonly kind: 'array'; readonly at: number; readonly items: readonly Node[] }
  | { readonly kind: 'scalar'; readonly at: number };

interface Entry {
  readonly key: string;
  readonly keyAt: number;
  readonly value: Node;
}

/** The line and column (both from 1) of offset `at` in `text`. */
export function positionAt(text: string, at: number): Position {
  const before = text.slice(0, at);
  const lastBreak = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: at - lastBreak };
}

/**
 * Where `JSON.parse` stopped, from its message: V8 names a position (and, newer, line and column),
 * Firefox a line and column. Undefined when the message names neither.
 */
export function syntaxErrorPosition(text: string, message: string): Position | undefined {
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn !== null) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  const position = /position (\d+)/.exec(message);
  if (position !== null) return positionAt(text, Number(position[1]));
  if (/end of (JSON )?(input|data)/i.test(message)) return positionAt(text, text.length);
  // V8 names no position for some errors (`Unexpected token … is not valid JSON`): find it here.
  try {
    new Reader(text).document();
  } catch (error) {
    if (error instanceof SyntaxAt) return positionAt(text, error.at);
  }
  return undefined;
}

/** Where this module's reader found the text malformed. */
class SyntaxAt extends Error {
  constructor(readonly at: number) {
    super(`malformed JSON at ${at}`);
  }
}

/**
 * The position of the field at `path` in `text` (well-formed JSON): a key's position for an
 * object field, an item's for a list index. A path that leaves the document resolves to the
 * deepest field that exists, which is where the user has to look. Keys may hold dots (variant
 * names): at each object the longest key that matches the rest of the path wins.
 */
export function locate(text: string, path: string): Position | undefined {
  let root: Node;
  try {
    root = new Reader(text).document();
  } catch {
    return undefined;
  }
  let node: Node = root;
  let at = root.at;
  let rest = path.startsWith('.') ? path.slice(1) : path;
  while (rest !== '') {
    const index = /^\[(\d+)\]\.?/.exec(rest);
    if (index !== null) {
      const item = node.kind === 'array' ? node.items[Number(index[1])] : undefined;
      if (item === undefined) break;
      node = item;
      at = item.at;
      rest = rest.slice(index[0].length);
      continue;
    }
    if (node.kind !== 'object') break;
    const current = rest;
    const matches = node.entries.filter(
      (entry) =>
        current === entry.key || current.startsWith(`${entry.key}.`) || current.startsWith(`${entry.key}[`),
    );
    const entry = matches.sort((a, b) => b.key.length - a.key.length)[0];
    if (entry === undefined) break;
    node = entry.value;
    at = entry.keyAt;
    rest = rest.slice(entry.key.length);
    if (rest.startsWith('.')) rest = rest.slice(1);
  }
  return positionAt(text, at);
}

/** A small JSON reader that keeps where each value and key starts. Throws on malformed text. */
class Reader {
  private i = 0;

  constructor(private readonly text: string) {}

  document(): Node {
    const node = this.value();
    this.space();
    if (this.i !== this.text.length) throw new SyntaxAt(this.i);
    return node;
  }

  private space(): void {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i] as string)) this.i++;
  }

  private value(): Node {
    this.space();
    const at = this.i;
    const c = this.text[this.i];
    if (c === '{') return this.object(at);
    if (c === '[') return this.array(at);
    if (c === '"') {
      this.string();
      return { kind: 'scalar', at };
    }
    const literal = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      this.text.slice(this.i, this.i + 400),
    );
    if (literal === null) throw new SyntaxAt(this.i);
    this.i += literal[0].length;
    return { kind: 'scalar', at };
  }

  private object(at: number): Node {
    this.i++;
    const entries: Entry[] = [];
    this.space();
    if (this.text[this.i] === '}') {
      this.i++;
      return { kind: 'object', at, entries };
    }
    for (;;) {
      this.space();
      const keyAt = this.i;
      const key = this.string();
      this.space();
      this.expect(':');
      entries.push({ key, keyAt, value: this.value() });
      this.space();
      if (this.text[this.i] === ',') {
        this.i++;
        continue;
      }
      this.expect('}');
      return { kind: 'object', at, entries };
    }
  }

  private array(at: number): Node {
    this.i++;
    const items: Node[] = [];
    this.space();
    if (this.text[this.i] === ']') {
      this.i++;
      return { kind: 'array', at, items };
    }
    for (;;) {
      items.push(this.value());
      this.space();
      if (this.text[this.i] === ',') {
        this.i++;
        continue;
      }
      this.expect(']');
      return { kind: 'array', at, items };
    }
  }

  private string(): string {
    const start = this.i;
    this.expect('"');
    while (this.i < this.text.length && this.text[this.i] !== '"')
      this.i += this.text[this.i] === '\\' ? 2 : 1;
    this.expect('"');
    return JSON.parse(this.text.slice(start, this.i)) as string;
  }

  private expect(char: string): void {
    if (this.text[this.i] !== char) throw new SyntaxAt(this.i);
    this.i++;
  }
}
