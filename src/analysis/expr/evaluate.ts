import { type Expression, MAX_DEPTH, type Node, type Value } from './ast.js';

/**
 * Evaluates a parsed condition against a measurement. Total: whatever the tree or the inputs
 * (NaN, missing fields, cycles, getters that throw), it returns a value or an error, never throws.
 * Work is bounded by a step budget; there are no loops in the language, so the tree size bounds it
 * except for deep equality and `min`/`max` over lists, which pay per element.
 */

/** What a condition reads: the measurement, and the baseline's when the provider gives one. */
export interface Scope {
  readonly result: unknown;
  readonly baseline?: unknown;
}

export interface EvalError {
  readonly message: string;
  /** 1-based column of the part of the condition that failed. */
  readonly column: number;
}

export type EvalResult = { ok: true; value: Value } | { ok: false; error: EvalError };

export interface EvalOptions {
  /** Default 10 000. */
  readonly maxSteps?: number;
}

export const DEFAULT_MAX_STEPS = 10_000;

type Kind = 'number' | 'string' | 'boolean' | 'null' | 'list' | 'object' | 'unsupported';

class Fail {
  constructor(
    readonly message: string,
    readonly start: number,
    /** Budget and depth failures are not caught by `default(…)`. */
    readonly fatal = false,
  ) {}
}

/** Evaluates `expr` (or a bare tree) against `scope`. */
export function evaluate(expr: Expression | Node, scope: Scope, options: EvalOptions = {}): EvalResult {
  const ast = 'ast' in expr ? expr.ast : expr;
  const run = new Evaluation(scope, options.maxSteps ?? DEFAULT_MAX_STEPS);
  try {
    return { ok: true, value: run.eval(ast, 0) as Value };
  } catch (caught) {
    if (caught instanceof Fail)
      return { ok: false, error: { message: caught.message, column: caught.start + 1 } };
    const reason = caught instanceof Error ? caught.message : String(caught);
    return { ok: false, error: { message: `the condition could not be evaluated: ${reason}`, column: 1 } };
  }
}

/** Evaluates a condition that must give `true` or `false`. */
export function evaluateCondition(
  expr: Expression,
  scope: Scope,
  options: EvalOptions = {},
): { ok: true; value: boolean } | { ok: false; error: EvalError } {
  const out = evaluate(expr, scope, options);
  if (!out.ok || typeof out.value === 'boolean')
    return out as { ok: true; value: boolean } | { ok: false; error: EvalError };
  return {
    ok: false,
    error: { message: `the condition gave ${describe(out.value)}, not true or false`, column: 1 },
  };
}

/** `a number`, `a list`, `null`: what a value is, for messages. */
export function describe(value: unknown): string {
  const kind = kindOf(value);
  const article: Record<Kind, string> = {
    number: Number.isNaN(value) ? 'NaN' : 'a number',
    string: 'a string',
    boolean: 'a boolean',
    null: 'null',
    list: 'a list',
    object: 'an object',
    unsupported: 'an unsupported value',
  };
  return article[kind];
}

function kindOf(value: unknown): Kind {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'list';
  const type = typeof value;
  if (type === 'number' || type === 'string' || type === 'boolean') return type as Kind;
  return type === 'object' ? 'object' : 'unsupported';
}

class Evaluation {
  private steps = 0;

  constructor(
    private readonly scope: Scope,
    private readonly maxSteps: number,
  ) {}

  private spend(cost: number, at: number): void {
    this.steps += cost;
    if (this.steps > this.maxSteps) {
      throw new Fail(
        `the condition is too expensive to evaluate (more than ${this.maxSteps} steps)`,
        at,
        true,
      );
    }
  }

  eval(node: Node, depth: number): unknown {
    this.spend(1, node.start);
    if (depth > MAX_DEPTH) throw new Fail('the condition is nested too deeply', node.start, true);
    switch (node.kind) {
      case 'literal':
        return node.value;
      case 'name':
        return node.name === 'result' ? this.scope.result : (this.scope.baseline ?? null);
      case 'unary':
        return this.unary(node.op, this.eval(node.operand, depth + 1), node.start);
      case 'binary':
        return this.binary(node, depth);
      case 'member':
        return this.member(this.eval(node.object, depth + 1), node.property, node.start);
      case 'index':
        return this.index(this.eval(node.object, depth + 1), this.eval(node.index, depth + 1), node.start);
      case 'call':
        return this.call(node, depth);
      default:
        throw new Fail('unknown kind of expression', 0);
    }
  }

  private unary(op: string, value: unknown, at: number): unknown {
    if (op === '-') {
      if (typeof value !== 'number') throw new Fail(`\`-\` needs a number, got ${describe(value)}`, at);
      return -value;
    }
    if (typeof value !== 'boolean') throw new Fail(`\`not\` needs true or false, got ${describe(value)}`, at);
    return !value;
  }

  private binary(node: Node & { kind: 'binary' }, depth: number): unknown {
    const { op } = node;
    const left = this.eval(node.left, depth + 1);
    if (op === '&&' || op === '||') {
      const word = op === '&&' ? 'and' : 'or';
      if (typeof left !== 'boolean')
        throw new Fail(`\`${word}\` needs true or false, got ${describe(left)}`, node.left.start);
      if (op === '&&' ? !left : left) return left;
      const right = this.eval(node.right, depth + 1);
      if (typeof right !== 'boolean')
        throw new Fail(`\`${word}\` needs true or false, got ${describe(right)}`, node.right.start);
      return right;
    }
    const right = this.eval(node.right, depth + 1);
    if (op === '==' || op === '!=') {
      const same = this.equal(left, right, 0, node.start);
      return op === '==' ? same : !same;
    }
    if (op === '<' || op === '<=' || op === '>' || op === '>=') {
      const comparable =
        (typeof left === 'number' && typeof right === 'number') ||
        (typeof left === 'string' && typeof right === 'string');
      if (!comparable) {
        throw new Fail(
          `\`${op}\` compares two numbers or two strings, got ${describe(left)} and ${describe(right)}`,
          node.start,
        );
      }
      const a = left as number | string;
      const b = right as number | string;
      return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
    }
    if (typeof left !== 'number' || typeof right !== 'number') {
      throw new Fail(`\`${op}\` needs two numbers, got ${describe(left)} and ${describe(right)}`, node.start);
    }
    switch (op) {
      case '+':
        return left + right;
      case '-':
        return left - right;
      case '*':
        return left * right;
      case '/':
        return left / right;
      default:
        return left % right;
    }
  }

  private equal(a: unknown, b: unknown, depth: number, at: number): boolean {
    this.spend(1, at);
    if (depth > MAX_DEPTH) throw new Fail('the values compared are nested too deeply', at, true);
    const kind = kindOf(a);
    if (kind !== kindOf(b)) return false;
    if (kind === 'null') return true;
    if (kind === 'list') {
      const x = a as readonly unknown[];
      const y = b as readonly unknown[];
      return x.length === y.length && x.every((item, i) => this.equal(item, y[i], depth + 1, at));
    }
    if (kind === 'object') {
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      const keys = Object.keys(x);
      this.spend(keys.length, at);
      return (
        keys.length === Object.keys(y).length &&
        keys.every((key) => Object.hasOwn(y, key) && this.equal(x[key], y[key], depth + 1, at))
      );
    }
    return a === b;
  }

  private member(object: unknown, property: string, at: number): unknown {
    const kind = kindOf(object);
    if (kind === 'null') return null;
    if (kind !== 'object') {
      const hint = kind === 'list' && property === 'length' ? '; use `len(…)`' : '';
      throw new Fail(`cannot read field \`${property}\` of ${describe(object)}${hint}`, at);
    }
    const record = object as Record<string, unknown>;
    return Object.hasOwn(record, property) ? (record[property] ?? null) : null;
  }

  private index(object: unknown, index: unknown, at: number): unknown {
    const kind = kindOf(object);
    if (kind === 'null') return null;
    if (kind === 'list') {
      if (typeof index !== 'number' || !Number.isInteger(index)) {
        throw new Fail(
          `a list is indexed by a whole number, got ${describe(index)}${typeof index === 'number' ? ` ${index}` : ''}`,
          at,
        );
      }
      const list = object as readonly unknown[];
      return index >= 0 && index < list.length ? (list[index] ?? null) : null;
    }
    if (kind === 'object') {
      if (typeof index !== 'string')
        throw new Fail(`an object is indexed by a string, got ${describe(index)}`, at);
      return this.member(object, index, at);
    }
    throw new Fail(`cannot index ${describe(object)}`, at);
  }

  private call(node: Node & { kind: 'call' }, depth: number): unknown {
    const { fn, args, start } = node;
    if (fn === 'default') {
      const [first, second] = args;
      if (first === undefined || second === undefined) throw new Fail('`default` takes 2 arguments', start);
      try {
        const value = this.eval(first, depth + 1);
        if (value !== null && value !== undefined && !Number.isNaN(value)) return value;
      } catch (caught) {
        if (!(caught instanceof Fail) || caught.fatal) throw caught;
      }
      return this.eval(second, depth + 1);
    }
    const values = args.map((arg) => this.eval(arg, depth + 1));
    const [value] = values;
    switch (fn) {
      case 'abs':
        if (typeof value !== 'number')
          throw new Fail(`\`abs\` needs a number, got ${describe(value)}`, start);
        return Math.abs(value);
      case 'isNaN':
        return Number.isNaN(value);
      case 'len': {
        const kind = kindOf(value);
        if (kind === 'list' || kind === 'string') return (value as { length: number }).length;
        if (kind === 'object') return Object.keys(value as object).length;
        throw new Fail(`\`len\` needs a list, a string or an object, got ${describe(value)}`, start);
      }
      case 'min':
      case 'max':
        return this.extreme(fn, values.length === 1 && Array.isArray(value) ? value : values, start);
      default:
        throw new Fail(`unknown function \`${String(fn)}\``, start);
    }
  }

  private extreme(fn: 'min' | 'max', items: readonly unknown[], at: number): number {
    this.spend(items.length, at);
    if (items.length === 0) throw new Fail(`\`${fn}\` of an empty list`, at);
    let best = fn === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    for (const item of items) {
      if (typeof item !== 'number') throw new Fail(`\`${fn}\` needs numbers, got ${describe(item)}`, at);
      best = fn === 'min' ? Math.min(best, item) : Math.max(best, item);
    }
    return best;
  }
}
