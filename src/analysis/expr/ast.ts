/**
 * The syntax tree of a condition. Every node keeps the character range it came from (0-based,
 * end exclusive) so evaluation errors can point into the text. `and`/`or`/`not` are stored as
 * `&&`/`||`/`!`: both spellings mean the same.
 */

/** Deepest nesting accepted in a condition and in the values it compares: bounds the recursion. */
export const MAX_DEPTH = 100;

/** What `result` and `baseline` can hold: what a provider's JSON can hold, plus NaN/Infinity. */
export type Value = number | string | boolean | null | readonly Value[] | { readonly [key: string]: Value };

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||';
export type UnaryOp = '-' | '!';

/** The names a condition can read. */
export const NAMES = ['result', 'baseline'] as const;
export type Name = (typeof NAMES)[number];

/** Functions and how many arguments each takes (`max: undefined` = any number). */
export const FUNCTIONS = {
  abs: { min: 1, max: 1 },
  min: { min: 1, max: undefined },
  max: { min: 1, max: undefined },
  isNaN: { min: 1, max: 1 },
  default: { min: 2, max: 2 },
  len: { min: 1, max: 1 },
} as const satisfies Record<string, { min: number; max: number | undefined }>;
export type FunctionName = keyof typeof FUNCTIONS;

interface Span {
  readonly start: number;
  readonly end: number;
}

export type Node =
  | (Span & { readonly kind: 'literal'; readonly value: number | string | boolean | null })
  | (Span & { readonly kind: 'name'; readonly name: Name })
  | (Span & { readonly kind: 'unary'; readonly op: UnaryOp; readonly operand: Node })
  | (Span & { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Node; readonly right: Node })
  | (Span & { readonly kind: 'member'; readonly object: Node; readonly property: string })
  | (Span & { readonly kind: 'index'; readonly object: Node; readonly index: Node })
  | (Span & { readonly kind: 'call'; readonly fn: FunctionName; readonly args: readonly Node[] });

/** A parsed condition: the text it came from and its tree. Parse once, evaluate many times. */
export interface Expression {
  readonly source: string;
  readonly ast: Node;
  /** True when the condition reads `baseline`: the provider must then measure the baseline too. */
  readonly usesBaseline: boolean;
}

/** A syntax error: what is wrong and where (1-based column; 0-based offset into the text). */
export interface ExprSyntaxError {
  readonly message: string;
  readonly column: number;
  readonly offset: number;
  /** How to fix it, when there is more to say than the message. */
  readonly hint?: string;
}

export function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(FUNCTIONS, name);
}

export function isName(name: string): name is Name {
  return (NAMES as readonly string[]).includes(name);
}
