import { editDistance } from '../../core/edit-distance.js';
import {
  type BinaryOp,
  type Expression,
  type ExprSyntaxError,
  FUNCTIONS,
  isFunctionName,
  isName,
  MAX_DEPTH,
  NAMES,
  type Node,
} from './ast.js';
import { error, type Token, tokenize } from './lexer.js';

/** Longest condition accepted: bounds the work of parsing and evaluating. */
export const MAX_LENGTH = 4096;

export type ParseResult = { ok: true; expr: Expression } | { ok: false; error: ExprSyntaxError };

const LEVELS: readonly (readonly string[])[] = [
  ['||', 'or'],
  ['&&', 'and'],
  ['<', '<=', '>', '>=', '==', '!='],
  ['+', '-'],
  ['*', '/', '%'],
];
const COMPARISON = 2;
const WORD_OPS: Readonly<Record<string, BinaryOp>> = { or: '||', and: '&&' };
const KEYWORDS = ['true', 'false', 'null', 'and', 'or', 'not'];

/** Thrown inside the parser only; {@link parseExpression} turns it into a result. */
class Stop {
  constructor(readonly error: ExprSyntaxError) {}
}

/**
 * Parses a condition such as `result < 0.01 && baseline > 0`. Never throws: a syntax error comes
 * back with its message, 1-based column and, where it helps, a hint.
 */
export function parseExpression(source: string): ParseResult {
  if (source.length > MAX_LENGTH) {
    return { ok: false, error: error(`the condition is longer than ${MAX_LENGTH} characters`, MAX_LENGTH) };
  }
  const lexed = tokenize(source);
  if (!lexed.ok) return lexed;
  try {
    const parser = new Parser(lexed.tokens);
    const ast = parser.parseAll();
    if (treeDepth(ast) > MAX_DEPTH) {
      return {
        ok: false,
        error: error(
          `the condition is nested more than ${MAX_DEPTH} levels deep`,
          0,
          'split it up or simplify it',
        ),
      };
    }
    return { ok: true, expr: { source, ast, usesBaseline: readsBaseline(ast) } };
  } catch (caught) {
    if (caught instanceof Stop) return { ok: false, error: caught.error };
    throw caught;
  }
}

/** `expected a value after \`<\` at column 10`: an error as one line. */
export function formatSyntaxError(e: ExprSyntaxError): string {
  return `${e.message} at column ${e.column}`;
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parseAll(): Node {
    if (this.peek().type === 'end')
      throw new Stop(error('the condition is empty', 0, 'write e.g. `result < 0.01`'));
    const node = this.parseLevel(0);
    const next = this.peek();
    if (next.type !== 'end') {
      const hint =
        next.type === 'punct' && next.value === ')'
          ? 'remove it, or add the `(` it closes'
          : 'join conditions with `&&` or `||`';
      throw new Stop(error(`unexpected ${describe(next)} after a complete expression`, next.start, hint));
    }
    return node;
  }

  private peek(): Token {
    return this.tokens[this.pos] ?? (this.tokens.at(-1) as Token);
  }

  private take(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.pos += 1;
    return token;
  }

  private isOp(token: Token, ops: readonly string[]): boolean {
    return (token.type === 'punct' || token.type === 'word') && ops.includes(token.value);
  }

  private enter(at: number): void {
    this.depth += 1;
    if (this.depth > MAX_DEPTH) {
      throw new Stop(
        error(`the condition is nested more than ${MAX_DEPTH} levels deep`, at, 'split it up or simplify it'),
      );
    }
  }

  private parseLevel(level: number): Node {
    const ops = LEVELS[level];
    if (ops === undefined) return this.parseUnary();
    let left = this.parseLevel(level + 1);
    while (this.isOp(this.peek(), ops)) {
      const opToken = this.take();
      const op = (WORD_OPS[opToken.value] ?? opToken.value) as BinaryOp;
      const right = this.parseOperand(level + 1, opToken);
      left = { kind: 'binary', op, left, right, start: left.start, end: right.end };
      if (level === COMPARISON && this.isOp(this.peek(), ops)) {
        const next = this.peek();
        throw new Stop(
          error(
            `comparisons cannot be chained: \`${next.value}\` follows \`${opToken.value}\``,
            next.start,
            'write `a < b && b < c`, or add parentheses',
          ),
        );
      }
    }
    return left;
  }

  /** The operand after a binary operator, with the error users hit most: nothing there. */
  private parseOperand(level: number, after: Token): Node {
    if (!startsValue(this.peek())) throw new Stop(expectedValue(after, this.peek()));
    return this.parseLevel(level);
  }

  private parseUnary(): Node {
    const token = this.peek();
    if (this.isOp(token, ['-', '!', 'not'])) {
      this.take();
      this.enter(token.start);
      if (!startsValue(this.peek())) throw new Stop(expectedValue(token, this.peek()));
      const operand = this.parseUnary();
      this.depth -= 1;
      return {
        kind: 'unary',
        op: token.value === '-' ? '-' : '!',
        operand,
        start: token.start,
        end: operand.end,
      };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(node: Node): Node {
    let current = node;
    for (;;) {
      const token = this.peek();
      if (this.isOp(token, ['.'])) {
        this.take();
        const field = this.peek();
        if (field.type !== 'word') {
          throw new Stop(
            error(
              `expected a field name after \`.\`, found ${describe(field)}`,
              field.start,
              'write `result.field`, or `result["odd name"]`',
            ),
          );
        }
        this.take();
        current = {
          kind: 'member',
          object: current,
          property: field.value,
          start: current.start,
          end: field.end,
        };
      } else if (this.isOp(token, ['['])) {
        this.take();
        this.enter(token.start);
        if (!startsValue(this.peek())) throw new Stop(expectedValue(token, this.peek()));
        const index = this.parseLevel(0);
        const close = this.expectClose(']', token);
        this.depth -= 1;
        current = { kind: 'index', object: current, index, start: current.start, end: close.end };
      } else {
        return current;
      }
    }
  }

  private parsePrimary(): Node {
    const token = this.take();
    const { start, end } = token;
    switch (token.type) {
      case 'number':
      case 'string':
        return { kind: 'literal', value: token.value, start, end };
      case 'word':
        return this.parseWord(token);
      case 'punct':
        if (token.value === '(') {
          this.enter(start);
          if (!startsValue(this.peek())) throw new Stop(expectedValue(token, this.peek()));
          const inner = this.parseLevel(0);
          this.expectClose(')', token);
          this.depth -= 1;
          return inner;
        }
        throw new Stop(error(`expected a value, found ${describe(token)}`, start));
      case 'end':
        throw new Stop(error('expected a value, found the end of the condition', start));
    }
  }

  private parseWord(token: Token & { type: 'word' }): Node {
    const { value: word, start, end } = token;
    if (word === 'true' || word === 'false') return { kind: 'literal', value: word === 'true', start, end };
    if (word === 'null') return { kind: 'literal', value: null, start, end };
    const callsIt = this.isOp(this.peek(), ['(']);
    if (isName(word)) {
      if (callsIt)
        throw new Stop(error(`\`${word}\` is not a function`, start, `read it as a value: \`${word}\``));
      return { kind: 'name', name: word, start, end };
    }
    if (isFunctionName(word)) {
      if (!callsIt) throw new Stop(error(`\`${word}\` is a function`, start, `call it: \`${word}(…)\``));
      return this.parseCall(word, start);
    }
    if (KEYWORDS.includes(word)) throw new Stop(error(`expected a value, found \`${word}\``, start));
    const known = callsIt ? Object.keys(FUNCTIONS) : [...NAMES, 'true', 'false', 'null'];
    const close = closest(word, known);
    const list = known.map((name) => `\`${name}\``).join(', ');
    throw new Stop(
      error(
        `unknown ${callsIt ? 'function' : 'name'} \`${word}\``,
        start,
        close === undefined
          ? `${callsIt ? 'functions' : 'conditions read'}: ${list}`
          : `did you mean \`${close}\`?`,
      ),
    );
  }

  private parseCall(fn: keyof typeof FUNCTIONS, start: number): Node {
    const open = this.take();
    this.enter(open.start);
    const args: Node[] = [];
    let after = open;
    while (args.length === 0 ? !this.isOp(this.peek(), [')']) : this.isOp(this.peek(), [','])) {
      if (args.length > 0) after = this.take();
      if (!startsValue(this.peek())) throw new Stop(expectedValue(after, this.peek()));
      args.push(this.parseLevel(0));
    }
    const close = this.expectClose(')', open);
    this.depth -= 1;
    const { min, max } = FUNCTIONS[fn];
    if (args.length < min || (max !== undefined && args.length > max)) {
      const wanted =
        max === undefined
          ? `at least ${min} argument${min === 1 ? '' : 's'}`
          : `${min} argument${min === 1 ? '' : 's'}`;
      throw new Stop(error(`\`${fn}\` takes ${wanted}, got ${args.length}`, start));
    }
    return { kind: 'call', fn, args, start, end: close.end };
  }

  private expectClose(close: ')' | ']', open: Token): Token {
    const token = this.peek();
    if (this.isOp(token, [close])) return this.take();
    throw new Stop(
      error(
        `expected \`${close}\` to close the \`${open.value}\` at column ${open.start + 1}, found ${describe(token)}`,
        token.start,
      ),
    );
  }
}

function startsValue(token: Token): boolean {
  if (token.type === 'number' || token.type === 'string') return true;
  if (token.type === 'word') return !['and', 'or'].includes(token.value);
  return token.type === 'punct' && ['(', '-', '!'].includes(token.value);
}

function expectedValue(after: Token, found: Token): ExprSyntaxError {
  const tail = found.type === 'end' ? '' : `, found ${describe(found)}`;
  return error(`expected a value after \`${after.value}\`${tail}`, found.start);
}

function describe(token: Token): string {
  if (token.type === 'end') return 'the end of the condition';
  if (token.type === 'string') return 'a string';
  return `\`${token.type === 'number' ? String(token.value) : token.value}\``;
}

/** Depth of a tree; exported so the evaluator can refuse trees built by hand that are too deep. */
export function treeDepth(node: Node, limit = MAX_DEPTH + 1): number {
  if (limit <= 0) return 1;
  switch (node.kind) {
    case 'name':
    case 'literal':
      return 1;
    case 'unary':
      return 1 + treeDepth(node.operand, limit - 1);
    case 'binary':
      return 1 + Math.max(treeDepth(node.left, limit - 1), treeDepth(node.right, limit - 1));
    case 'member':
      return 1 + treeDepth(node.object, limit - 1);
    case 'index':
      return 1 + Math.max(treeDepth(node.object, limit - 1), treeDepth(node.index, limit - 1));
    case 'call':
      return 1 + Math.max(0, ...node.args.map((arg) => treeDepth(arg, limit - 1)));
  }
}

function readsBaseline(node: Node): boolean {
  switch (node.kind) {
    case 'name':
      return node.name === 'baseline';
    case 'literal':
      return false;
    case 'unary':
      return readsBaseline(node.operand);
    case 'binary':
      return readsBaseline(node.left) || readsBaseline(node.right);
    case 'member':
      return readsBaseline(node.object);
    case 'index':
      return readsBaseline(node.object) || readsBaseline(node.index);
    case 'call':
      return node.args.some(readsBaseline);
  }
}

/** The closest known word within a small edit distance, for "did you mean". */
function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase(), bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
