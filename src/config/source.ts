import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml';

/**
 * The YAML layer: parses the text keeping every node's position, turns YAML errors into issues,
 * and finds the line and column of a field path so every later problem can point at the file.
 */

export type PathSegment = string | number;

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A problem before it is tied to a file: positions come from the path (or are known already). */
export interface RawIssue {
  readonly code: string;
  readonly message: string;
  readonly path: readonly PathSegment[];
  readonly hint?: string;
  /** Point at the key of the last path segment instead of its value (unknown keys, bad names). */
  readonly at?: 'key' | 'value';
  readonly position?: Position;
}

export interface Source {
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** The plain data (null for an empty file). */
  readonly data: unknown;
  readonly errors: RawIssue[];
  readonly warnings: RawIssue[];
}

const YAML_HINTS: Readonly<Record<string, string>> = {
  BAD_INDENT: 'keys of one mapping must start in the same column; indent with spaces only',
  BLOCK_AS_IMPLICIT_KEY:
    'quote a value that contains `: ` (`"a: b"`), or check the indentation of the lines here',
  MULTILINE_IMPLICIT_KEY:
    'a line is indented deeper than its siblings, or a `:` is missing; check the indentation',
  TAB_AS_INDENT: 'YAML forbids tabs for indentation; use spaces',
  DUPLICATE_KEY: 'remove one of them or merge their contents',
  MULTIPLE_DOCS: 'flowline.yaml holds one document; remove the `---` separator and what follows',
  BAD_ALIAS: 'define the anchor (`&name`) before using it (`*name`)',
  UNEXPECTED_TOKEN: 'check for a stray character, a missing `:` or an unclosed bracket',
};

export function parseSource(text: string): Source {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  const errors = doc.errors.map((error) => yamlIssue(doc, lineCounter, error));
  const warnings = doc.warnings.map((warning) => ({
    ...yamlIssue(doc, lineCounter, warning),
    code: 'yaml_warning',
  }));
  let data: unknown = null;
  if (errors.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      // Only alias misuse gets here: an alias to an anchor not defined before it, or an alias bomb.
      const alias = findUnresolvedAlias(doc);
      errors.push({
        code: 'yaml_alias',
        message: alias
          ? `\`*${alias.source}\` refers to an anchor that is not defined before it`
          : lowerFirst(error instanceof Error ? error.message : String(error)),
        path: [],
        position: alias?.range ? toPosition(lineCounter, alias.range[0]) : { line: 1, column: 1 },
        hint: YAML_HINTS.BAD_ALIAS ?? '',
      });
    }
  }
  return { doc, lineCounter, data, errors, warnings };
}

function yamlIssue(doc: Document.Parsed, lineCounter: LineCounter, error: YAMLError): RawIssue {
  const offset = error.pos[0];
  const code = `yaml_${error.code.toLowerCase()}`;
  // An unclosed `[` or `{` is reported as an indentation problem on the line after it.
  const unclosed = /end with a ([\]}])/.exec(error.message)?.[1];
  const hint = unclosed
    ? `close the \`${unclosed === ']' ? '[' : '{'}\` opened above with \`${unclosed}\``
    : YAML_HINTS[error.code];
  const base = { code, path: [] as PathSegment[], ...(hint === undefined ? {} : { hint }) };
  if (error.code === 'DUPLICATE_KEY') {
    const duplicate = findDuplicate(doc, offset);
    if (duplicate !== undefined) {
      const first = toPosition(lineCounter, duplicate.firstOffset);
      return {
        ...base,
        message: `duplicate key \`${duplicate.key}\` (first defined at line ${first.line})`,
        position: toPosition(lineCounter, offset),
      };
    }
  }
  if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) {
    // The parser notices the missing quote at the end of the file; point at where the string starts.
    const start = findQuotedScalarStart(doc, offset);
    if (start !== undefined) {
      return {
        ...base,
        message: 'this quoted string is never closed',
        hint: 'add the closing quote at the end of the value',
        position: toPosition(lineCounter, start),
      };
    }
  }
  return { ...base, message: lowerFirst(error.message), position: toPosition(lineCounter, offset) };
}

function findDuplicate(
  doc: Document.Parsed,
  offset: number,
): { key: string; firstOffset: number } | undefined {
  let found: { key: string; firstOffset: number } | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || pair.key.range === undefined || pair.key.range === null) continue;
        const key = String(pair.key.value);
        const first = seen.get(key);
        if (first !== undefined && pair.key.range[0] === offset) {
          found = { key, firstOffset: first };
          return visit.BREAK;
        }
        if (first === undefined) seen.set(key, pair.key.range[0]);
      }
      return undefined;
    },
  });
  return found;
}

function findUnresolvedAlias(doc: Document.Parsed): Alias | undefined {
  let found: Alias | undefined;
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) !== undefined) return undefined;
      found = alias;
      return visit.BREAK;
    },
  });
  return found;
}

function findQuotedScalarStart(doc: Document.Parsed, errorOffset: number): number | undefined {
  let start: number | undefined;
  visit(doc, {
    Scalar(_, scalar) {
      const quoted = scalar.type === 'QUOTE_DOUBLE' || scalar.type === 'QUOTE_SINGLE';
      if (quoted && scalar.range && scalar.range[0] <= errorOffset && errorOffset <= scalar.range[2]) {
        start = scalar.range[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return start;
}

function toPosition(lineCounter: LineCounter, offset: number): Position {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function lowerFirst(text: string): string {
  return text.length === 0 ? text : text[0]?.toLowerCase() + text.slice(1);
}

/**
 * Finds where a field path is in the file: the key or the value of its last segment. A path that
 * goes further than the file (a missing key) resolves to the nearest key that exists, which is
 * where the user has to add it.
 */
export function locate(
  source: Pick<Source, 'doc' | 'lineCounter'>,
  path: readonly PathSegment[],
  at: 'key' | 'value' = 'value',
): Position {
  const { doc, lineCounter } = source;
  let node: unknown = doc.contents;
  let anchor: Node | null = isNode(node) ? node : null;
  for (const [index, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (pair === undefined) break;
      if (last && at === 'key' && isNode(pair.key)) return startOf(lineCounter, pair.key, anchor);
      anchor = isNode(pair.key) ? pair.key : anchor;
      node = pair.value;
      // `key:` with no value: the key is the best place to point at.
      if (!isNode(node)) break;
      // A scalar is pointed at itself; a mapping or list under a key is pointed at by its key.
      if (last && !(isMap(node) || isSeq(node))) anchor = node;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (!isNode(item)) break;
      node = item;
      anchor = item;
    } else {
      break;
    }
  }
  return startOf(lineCounter, anchor, null);
}

function startOf(lineCounter: LineCounter, node: Node | null, fallback: Node | null): Position {
  const range = node?.range ?? fallback?.range;
  return range ? toPosition(lineCounter, range[0]) : { line: 1, column: 1 };
}

function isNode(value: unknown): value is Node {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value);
}

function keyText(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}
