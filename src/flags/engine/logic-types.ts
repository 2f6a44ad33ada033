/** Shared shapes of the flagd targeting compiler (kept apart so its modules do not import in a circle). */

export interface LogicState {
  /** The compiled code's shared `prev` register (see `compareCheck`). */
  prev: unknown;
  readonly context: Readonly<Record<string, unknown>>;
  readonly flagd: { readonly flagKey: string; readonly timestamp: number };
  /**
   * json-logic-engine's interpreter is running (constants, short `if`s), not its compiled code:
   * it differs in a few places (`var` defaults, `cat` of null, comparisons, `!` of a list).
   */
  readonly folding: boolean;
}

export type Run = (state: LogicState) => unknown;

export interface LogicNode {
  readonly run: Run;
  /** Reads nothing from the context: flagd computes it while compiling. */
  readonly constant: boolean;
  /**
   * json-logic-engine compiles it to an unparenthesised `a ? b : c` (`and`, `or`, `missing`,
   * `missing_some`), so JavaScript's precedence changes its meaning inside `cat`, as the list of
   * `in` or as a `var` default. Flowline refuses those positions rather than guess.
   */
  readonly bare?: boolean;
}

/** The targeting is one flagd refuses to load: it answers PARSE_ERROR. */
export class FlagdRejects extends Error {}

/** Valid for flagd, but outside what Flowline evaluates: the flag cannot be imported. */
export class Unsupported extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** What a compilation notices: whether the answer can depend on the time. */
export interface LogicUsage {
  readsFlagd: boolean;
  /** Set while compiling inside a constant expression, which is computed as a whole. */
  insideConstant?: boolean;
  /** Set inside an `if` of fewer than three parts, which json-logic-engine interprets. */
  interpreted?: boolean;
  /** Operations compiled so far and the current nesting, against the caps of docs/flags.md. */
  nodes?: number;
  depth?: number;
}

/** Caps on one flag's targeting: compiling and evaluating stay bounded (and off the stack's edge). */
export const MAX_LOGIC_DEPTH = 64;
export const MAX_LOGIC_NODES = 10_000;

/** The state constant expressions are computed in: no context, the interpreter's rules. */
export const FOLD_STATE: LogicState = {
  prev: null,
  context: {},
  flagd: { flagKey: '', timestamp: 0 },
  folding: true,
};

/** Operations json-logic-engine has that Flowline does not evaluate. */
export const UNSUPPORTED = new Set([
  'throw',
  'preserve',
  '??',
  'try',
  'length',
  'exists',
  'val',
  'map',
  'some',
  'all',
  'none',
  'merge',
  'filter',
  'reduce',
  'keys',
  'pipe',
  'eachKey',
  'every',
  'get',
]);
