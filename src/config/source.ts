import {
  type Alias,
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  type Pair,
  Parser,
  visit,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import type { PathSegment, Position, RawIssue } from './issue.js';
import { MAX_CONFIG_BYTES, MAX_DEPTH, MAX_DESCRIBED, TOO_LARGE, type WorkMeter } from './limits.js';
import { buildData, deepestOffset } from './yaml-data.js';

/**
 * The YAML layer: parses the text keeping every node's position, turns YAML errors into issues,
 * and finds the line and column of a field path so every later problem can point at the file.
 * Every step is linear in the text: see limits.ts for the bounds and why.
 */

export interface Source {
  /** Undefined when the text was refused before it was parsed (too large, nested too deep). */
  readonly doc: Document.Parsed | undefined;
  readonly lineCounter: LineCounter;
  /** Each alias and the node it repeats. */
  readonly aliasTargets: ReadonlyMap<Alias, Node>;
  /** The plain data (null for an empty file, or one with errors). */
  readonly data: unknown;
  readonly errors: RawIssue[];
  /** YAML problems beyond the first {@link MAX_DESCRIBED}: counted, not described. */
  readonly omitted: number;
  readonly warnings: RawIssue[];
  /** The same for warnings (an unknown tag on every value makes one each). */
  readonly omittedWarnings: number;
}

const YAML_HINTS: Readonly<Record<string, string>> = {
  BAD_INDENT: 'keys of one mapping must start in the same column; indent with spaces only',
  BLOCK_AS_IMPLICIT_KEY:
    'quote a value that contains `: ` (`"a: b"`), or check the indentation of the lines here',
  MULTILINE_IMPLICIT_KEY:
    'a line is indented deeper than its siblings, or a `:` is missing; check the indentation',
  TAB_AS_INDENT: 'YAML forbids tabs for indentation; use spaces',
  BAD_ALIAS: 'define the anchor (`&name`) before using it (`*name`)',
  UNEXPECTED_TOKEN: 'check for a stray character, a missing `:` or an unclosed bracket',
};

/** Parses the text, refusing it whole when it is over a limit (size, depth, what aliases repeat). */
export function parseSource(text: string, meter: WorkMeter = { units: 0 }): Source {
  const lineCounter = new LineCounter();
  // Characters first: no string over the limit in characters is under it in bytes.
  const bytes = text.length > MAX_CONFIG_BYTES ? text.length : Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONFIG_BYTES) {
    return refused(lineCounter, { ...tooLarge(bytes), path: [], position: { line: 1, column: 1 } });
  }
  // The YAML library reports each problem as an Error; a file of broken lines makes hundreds of
  // thousands, and capturing a stack for each was most of the cost. Restored before returning.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parseText(text, lineCounter, meter);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function parseText(text: string, lineCounter: LineCounter, meter: WorkMeter): Source {
  const at = (offset: number) => toPosition(lineCounter, offset);
  const parsed = parseTokens(text, lineCounter, meter);
  const deep = 'deepAt' in parsed ? parsed.deepAt : deepestOffset(parsed.tokens, meter);
  if (deep !== undefined || !('tokens' in parsed)) {
    return refused(lineCounter, {
      code: TOO_LARGE,
      message: `mappings and lists are nested more than ${MAX_DEPTH} levels deep`,
      path: [],
      position: at(deep ?? 0),
      hint: 'a flowline.yaml nests a few levels: check for unclosed brackets, or where this file came from',
    });
  }
  // Duplicate keys are found while building the data: the library's check compares each key
  // with every earlier one of its mapping, which is quadratic.
  const composer = new Composer({ merge: true, uniqueKeys: false });
  const docs = composer.compose(parsed.tokens, true, text.length);
  const doc = docs.next().value as Document.Parsed;
  // Asked for before reading the first one's errors: the composer may add to them until then.
  const second = docs.next().value;
  // The first problems by position are described; the composer reports them nearly in order.
  const yamlErrors =
    doc.errors.length > MAX_DESCRIBED ? [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0]) : doc.errors;
  const errors = yamlErrors.slice(0, MAX_DESCRIBED).map((error) => yamlIssue(doc, lineCounter, error));
  if (second) {
    errors.push({
      code: 'yaml_multiple_docs',
      message: 'a second YAML document starts here; flowline.yaml holds one',
      path: [],
      position: at(second.range[0]),
      hint: 'remove the `---` separator and what follows',
    });
  }
  const warnings = doc.warnings.slice(0, MAX_DESCRIBED).map((warning) => ({
    ...yamlIssue(doc, lineCounter, warning),
    code: 'yaml_warning',
  }));
  const built = buildData(doc, at, meter);
  errors.push(...built.errors);
  const data = errors.length === 0 ? built.data : null;
  const omitted = yamlErrors.length - Math.min(yamlErrors.length, MAX_DESCRIBED) + built.omitted;
  const omittedWarnings = doc.warnings.length - warnings.length;
  return {
    doc,
    lineCounter,
    aliasTargets: built.aliasTargets,
    data,
    errors,
    omitted,
    warnings,
    omittedWarnings,
  };
}

/** The refusal of a file of `bytes` bytes, over {@link MAX_CONFIG_BYTES}. */
export function tooLarge(bytes: number): { code: string; message: string; hint: string } {
  return {
    code: TOO_LARGE,
    message: `the file is ${mebibytes(bytes)}; the limit is ${mebibytes(MAX_CONFIG_BYTES)}`,
    hint: 'a flowline.yaml is a few kilobytes: check that this is the right file',
  };
}

/** A text refused before it was parsed: only the refusal. */
function refused(lineCounter: LineCounter, issue: RawIssue): Source {
  return {
    doc: undefined,
    lineCounter,
    aliasTargets: new Map(),
    data: null,
    errors: [issue],
    omitted: 0,
    warnings: [],
    omittedWarnings: 0,
  };
}

/**
 * The parser's token tree, or where nesting went too deep. The parser keeps open collections on a
 * stack, so its height is watched while it runs: a megabyte of `[` is stopped at the limit instead
 * of becoming half a million nested tokens. (The height also counts the document and a pending
 * scalar, hence the margin; {@link deepestOffset} then checks the exact depth.)
 */
function parseTokens(
  text: string,
  lineCounter: LineCounter,
  meter: WorkMeter,
): { tokens: CST.Token[] } | { deepAt: number } {
  const parser = new Parser(lineCounter.addNewLine);
  const tokens: CST.Token[] = [];
  lineCounter.addNewLine(0);
  for (const lexeme of new Lexer().lex(text)) {
    meter.units++;
    for (const token of parser.next(lexeme)) tokens.push(token);
    if (parser.stack.length > MAX_DEPTH + 2) return { deepAt: parser.offset };
  }
  for (const token of parser.end()) tokens.push(token);
  return { tokens };
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
  if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) {
    // The parser notices the missing quote at the end of the file; point at where the string starts.
    const start = quotedScalarStart(doc, offset);
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

/** The quoted scalars of each document, start and end, in document order: found once, searched by halves. */
const QUOTED = new WeakMap<Document.Parsed, [number, number][]>();

function quotedScalarStart(doc: Document.Parsed, errorOffset: number): number | undefined {
  let ranges = QUOTED.get(doc);
  if (ranges === undefined) {
    const found: [number, number][] = [];
    visit(doc, {
      Scalar(_, scalar) {
        const quoted = scalar.type === 'QUOTE_DOUBLE' || scalar.type === 'QUOTE_SINGLE';
        if (quoted && scalar.range) found.push([scalar.range[0], scalar.range[2]]);
      },
    });
    ranges = found.sort((a, b) => a[0] - b[0]);
    QUOTED.set(doc, ranges);
  }
  let low = 0;
  let high = ranges.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((ranges[mid]?.[0] ?? 0) <= errorOffset) low = mid + 1;
    else high = mid;
  }
  const range = ranges[low - 1];
  return range !== undefined && errorOffset <= range[1] ? range[0] : undefined;
}

function toPosition(lineCounter: LineCounter, offset: number): Position {
  const { line, col } = lineCounter.linePos(offset);
  // Before the first line break the counter answers line 0 and the offset itself.
  return line === 0 ? { line: 1, column: offset + 1 } : { line, column: col };
}

function lowerFirst(text: string): string {
  return text.length === 0 ? text : text[0]?.toLowerCase() + text.slice(1);
}

function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 2)} MiB`;
}

/**
 * Finds where a field path is in the file: the key or the value of its last segment. A path that
 * goes further than the file (a missing key) resolves to the nearest key that exists, which is
 * where the user has to add it. Each step is a lookup in the mapping's index (built once per
 * mapping), so locating every problem of a file with thousands of keys stays linear.
 */
export function locate(
  source: Pick<Source, 'doc' | 'lineCounter' | 'aliasTargets'>,
  path: readonly PathSegment[],
  at: 'key' | 'value' = 'value',
  meter: WorkMeter = { units: 0 },
): Position {
  const { lineCounter } = source;
  let node: unknown = source.doc?.contents;
  let anchor: Node | null = isNode(node) ? node : null;
  for (const [index, segment] of path.entries()) {
    meter.units++;
    if (isAlias(node)) node = source.aliasTargets.get(node);
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = pairOf(node, String(segment), meter);
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

/** The node at `path` (a scalar as its node), through aliases; undefined when the path leaves the file. */
export function nodeAt(source: Pick<Source, 'doc' | 'aliasTargets'>, path: readonly PathSegment[]): unknown {
  let node: unknown = source.doc?.contents;
  for (const segment of path) {
    if (isAlias(node)) node = source.aliasTargets.get(node);
    if (isMap(node)) node = pairOf(node, String(segment))?.value;
    else if (isSeq(node) && typeof segment === 'number') node = node.items[segment];
    else return undefined;
  }
  return isAlias(node) ? source.aliasTargets.get(node) : node;
}

/** Each mapping's pairs by key text, the first of a repeated key kept; built on first use. */
const PAIRS = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairOf(map: YAMLMap, key: string, meter: WorkMeter = { units: 0 }): Pair | undefined {
  let index = PAIRS.get(map);
  if (index === undefined) {
    index = new Map();
    for (const item of map.items) {
      meter.units++;
      const text = isPair(item) ? keyText(item.key) : undefined;
      if (text !== undefined && !index.has(text)) index.set(text, item);
    }
    PAIRS.set(map, index);
  }
  return index.get(key);
}

function startOf(lineCounter: LineCounter, node: Node | null, fallback: Node | null): Position {
  const range = node?.range ?? fallback?.range;
  return range ? toPosition(lineCounter, range[0]) : { line: 1, column: 1 };
}

function isNode(value: unknown): value is Node {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value);
}

/** A key as the data names it (see yaml-data.ts): a null key is the empty string. */
function keyText(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  return key.value === null || key.value === undefined ? '' : String(key.value);
}

export type { LazyHint, PathSegment, Position, RawIssue } from './issue.js';
