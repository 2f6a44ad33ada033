import { type Arithmetic, arithmetic } from './logic-arithmetic.js';
import { compiledComparison, interpretedComparison } from './logic-compare.js';
import { CUSTOM } from './logic-custom.js';
import { interpretedVar, missing, top } from './logic-read.js';
import {
  FlagdRejects,
  FOLD_STATE,
  type LogicNode,
  type LogicState,
  type LogicUsage,
  MAX_LOGIC_DEPTH,
  MAX_LOGIC_NODES,
  type Run,
  UNSUPPORTED,
  Unsupported,
} from './logic-types.js';
import {
  type Comparison,
  catValues,
  extreme,
  LogicFailure,
  member,
  splitPath,
  substr,
  truthy,
} from './logic-values.js';

/**
 * Compiles flagd targeting (JsonLogic with flagd's operations) into closures that give exactly
 * the answers of `@openfeature/flagd-core` 4, which builds it with json-logic-engine 5. Quirks of
 * that engine are kept on purpose: constant sub-expressions are computed while compiling (one that
 * fails makes the whole targeting a PARSE_ERROR), `cat` writes `null` as "null" unless constant,
 * and comparisons check their right operand against the value last read (`prev`).
 */

const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '===', '!=', '!==']);
const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);

export function compileLogic(node: unknown, path: string, usage: LogicUsage): LogicNode {
  const compiled = compileNode(node, path, usage);
  return compiled;
}

function literal(value: unknown): LogicNode {
  return { run: () => value, constant: true };
}

function compileNode(node: unknown, path: string, usage: LogicUsage): LogicNode {
  const depth = usage.depth ?? 0;
  usage.nodes = (usage.nodes ?? 0) + 1;
  if (depth >= MAX_LOGIC_DEPTH)
    throw new Unsupported(`targeting nested deeper than ${MAX_LOGIC_DEPTH}`, path);
  if (usage.nodes > MAX_LOGIC_NODES)
    throw new Unsupported(`targeting of more than ${MAX_LOGIC_NODES} parts`, path);
  usage.depth = depth + 1;
  try {
    return compileInner(node, path, usage);
  } finally {
    usage.depth = depth;
  }
}

function compileInner(node: unknown, path: string, usage: LogicUsage): LogicNode {
  if (Array.isArray(node)) {
    const items = node.map((item, i) => compileNode(item, `${path}[${i}]`, usage));
    const constant = items.every((item) => item.constant);
    return { run: (s) => items.map((item) => item.run(s)), constant };
  }
  if (typeof node !== 'object' || node === null) return literal(node);
  const keys = Object.keys(node);
  if (keys.length === 0) return literal(node);
  if (keys.length > 1) {
    throw new FlagdRejects(`an operation has exactly one key; ${path || 'targeting'} has ${keys.length}`);
  }
  const op = keys[0] as string;
  const raw = (node as Record<string, unknown>)[op];
  const at = `${path}.${op}`;
  // Like json-logic-engine, compute the outermost constant expression as a whole: what it
  // short-circuits past is never evaluated, so cannot fail.
  const outer = usage.insideConstant !== true;
  const constantHere = !readsContext(node);
  if (constantHere) usage.insideConstant = true;
  const compiled = operation(op, raw, at, usage);
  if (constantHere && outer) usage.insideConstant = false;
  return compiled.constant && outer ? fold(compiled, at, usage) : compiled;
}

/** Operations whose answer depends on the context (json-logic-engine's "not deterministic"). */
const CONTEXT_READERS = new Set(['var', 'missing_some', 'fractional', 'sem_ver', 'starts_with', 'ends_with']);

function readsContext(node: unknown, depth = 0): boolean {
  if (depth > MAX_LOGIC_DEPTH) return true; // too deep to compile anyway: no need to look further
  if (Array.isArray(node)) return node.some((item) => readsContext(item, depth + 1));
  if (typeof node !== 'object' || node === null) return false;
  const entries = Object.entries(node);
  if (entries.length !== 1) return false;
  const [op, raw] = entries[0] as [string, unknown];
  if (CONTEXT_READERS.has(op)) return true;
  if (op === 'missing') return !(Array.isArray(raw) && raw.length === 0);
  return readsContext(raw, depth + 1);
}

/** flagd computes a constant operation once, while loading; a failure there rejects the flag. */
function fold(node: LogicNode, path: string, usage: LogicUsage): LogicNode {
  let value: unknown;
  try {
    value = node.run(FOLD_STATE);
  } catch {
    if (usage.interpreted === true) {
      throw new Unsupported(
        'a constant expression that fails, inside an `if` of fewer than three parts',
        path,
      );
    }
    throw new FlagdRejects(`the constant expression at ${path} fails`);
  }
  return literal(value);
}

function operation(op: string, raw: unknown, path: string, usage: LogicUsage): LogicNode {
  if (op === 'var') return compileVar(raw, path, usage);
  if (op === 'if' || op === '?:') return compileIf(raw, path, usage);
  if (op === 'and' || op === 'or') return compileAndOr(op === 'and', raw, path, usage);
  if (COMPARISONS.has(op)) return compileComparison(op as Comparison, raw, path, usage);
  if (ARITHMETIC.has(op)) {
    try {
      const compile = (n: unknown, p: string) => compileNode(n, p, usage);
      return arithmetic(op as Arithmetic, raw, path, compile, usage.interpreted === true);
    } catch (error) {
      // Inside a constant the interpreter meets this only if it gets there (not past a short-circuit).
      if (error instanceof FlagdRejects && usage.interpreted === true) {
        throw new Unsupported(`${error.message}, inside an \`if\` of fewer than three parts`, path);
      }
      if (!(error instanceof FlagdRejects) || usage.insideConstant !== true) throw error;
      const message = error.message;
      return { run: () => fail(message), constant: true };
    }
  }
  if (UNSUPPORTED.has(op)) throw new Unsupported(`the JsonLogic operation \`${op}\``, path);
  switch (op) {
    case '!':
    case 'not':
    case '!!': {
      const first = argument(raw, path, usage);
      const negate = op !== '!!';
      // The interpreter hands `!` its operand's value and, if that is a list, tests its first item.
      const unwrap = !(Array.isArray(raw) && Array.isArray(raw[0]));
      const run: Run = (s) => {
        let value = first.run(s);
        if (s.folding && unwrap && Array.isArray(value)) value = value[0];
        return truthy(value) !== negate;
      };
      return { run, constant: first.constant };
    }
    case 'in':
      return compileIn(raw, path, usage);
    case 'cat':
      return compileCat(raw, path, usage);
    case 'missing_some':
      return compileMissingSome(raw, path, usage);
  }
  const known = op in CUSTOM || ['substr', 'max', 'min', 'missing'].includes(op);
  if (!known) throw new FlagdRejects(`flagd has no operation \`${op}\``);
  const args = compileArgs(raw, path, usage);
  const custom = CUSTOM[op];
  if (custom !== undefined) return { run: (s) => custom(args.run(s), s), constant: false };
  if (op === 'substr') return { run: (s) => substrOf(args.run(s)), constant: args.constant };
  if (op === 'missing') {
    const list = Array.isArray(raw) ? raw : [raw];
    const plain = list.length <= 2 && list.every((k) => typeof k === 'string' && !k.includes('.'));
    return { run: (s) => missing(args.run(s), s), constant: list.length === 0, bare: plain };
  }
  return { run: (s) => extreme(op as 'max' | 'min', args.run(s)), constant: args.constant };
}

interface Args {
  readonly run: (state: LogicState) => unknown[];
  readonly constant: boolean;
}

/** Arguments of an eager operation: a list is evaluated item by item, anything else is one item. */
function compileArgs(raw: unknown, path: string, usage: LogicUsage): Args {
  if (Array.isArray(raw)) {
    const items = raw.map((item, i) => compileNode(item, `${path}[${i}]`, usage));
    return { run: (s) => items.map((item) => item.run(s)), constant: items.every((i) => i.constant) };
  }
  const single = compileNode(raw, path, usage);
  return {
    run: (s) => {
      const value = single.run(s);
      return Array.isArray(value) ? value : [value];
    },
    constant: single.constant,
  };
}

/** `data[0]` for a list, the data itself otherwise (`!`, `!!`). */
function argument(raw: unknown, path: string, usage: LogicUsage): LogicNode {
  if (Array.isArray(raw))
    return raw.length === 0 ? literal(undefined) : compileNode(raw[0], `${path}[0]`, usage);
  return compileNode(raw, path, usage);
}

function compileVar(raw: unknown, path: string, usage: LogicUsage): LogicNode {
  let key: unknown = raw;
  let fallback: LogicNode = literal(null);
  if (Array.isArray(raw)) {
    if (raw.length > 2) throw new Unsupported('`var` with more than two arguments', path);
    key = raw[0];
    if (raw.length === 2 && raw[1] !== undefined) fallback = compileNode(raw[1], `${path}[1]`, usage);
    refuseBare([fallback], `${path}[1]`, 'as the default of `var`');
  }
  if (typeof key === 'object' && key !== null) {
    const computed = compileNode(key, path, usage);
    if (!computed.constant)
      throw new Unsupported('`var` with an attribute name computed from the context', path);
    key = fold(computed, path, usage).run(FOLD_STATE);
  }
  if (key === undefined || key === null || key === '') {
    throw new Unsupported('`var` reading the whole context', path);
  }
  if (typeof key !== 'string' && typeof key !== 'number')
    throw new Unsupported('`var` with a name that is not text', path);
  const text = String(key);
  if (text.includes('../')) throw new Unsupported('`var` climbing out of the context (`../`)', path);
  const pieces = splitPath(text);
  const [first, ...rest] = pieces as [string, ...string[]];
  if (first === '$flagd') usage.readsFlagd = true;
  const hasDefault = Array.isArray(raw) && raw.length === 2;
  const chained = !hasDefault && text.includes('.') && (pieces.length === 2 || pieces.length === 3);
  const unary = !hasDefault && !text.includes('.') && !text.includes('\\');
  const run: Run = (s) => {
    const start = first === '$flagd' ? s.flagd : top(s.context, first);
    if (s.folding)
      return interpretedVar(start, rest, s, { chained, unary, fallback: hasDefault ? fallback : undefined });
    let value = start;
    for (const piece of rest) value = member(value, piece);
    if (value === null || value === undefined) value = fallback.run(s);
    s.prev = value;
    return typeof value === 'function' ? null : value;
  };
  return { run, constant: false };
}

function compileIf(raw: unknown, path: string, usage: LogicUsage): LogicNode {
  if (!Array.isArray(raw)) {
    const data = compileNode(raw, path, usage);
    return { run: () => fail('`if` needs a list'), constant: data.constant };
  }
  // json-logic-engine compiles an `if` of three parts or more; a shorter one it interprets.
  const short = raw.length < 3 && readsContext(raw);
  const outer = usage.interpreted;
  if (short) usage.interpreted = true;
  const parts = raw.map((item, i) => compileNode(item, `${path}[${i}]`, usage));
  usage.interpreted = outer === true;
  const constant = parts.every((part) => part.constant);
  if (short) {
    const [test, then] = parts as [LogicNode, LogicNode | undefined];
    const run: Run = (s) => {
      const inner: LogicState = s.folding ? s : { ...s, folding: true };
      if (then === undefined) return test.run(inner);
      return truthy(test.run(inner)) ? then.run(inner) : null;
    };
    return { run, constant: false };
  }
  if (parts.length === 0) return literal(null);
  if (parts.length === 1) return parts[0] as LogicNode;
  const otherwise = parts.length % 2 === 1 ? (parts.at(-1) as LogicNode) : literal(null);
  const pairs = Math.floor(parts.length / 2);
  const run: Run = (s) => {
    if (s.folding && parts.length === 3) {
      // The optimizer computes all three parts of a three-part `if` before choosing.
      const [test, then, otherwise3] = parts.map((part) => part.run(s));
      return truthy(test) ? then : otherwise3;
    }
    for (let i = 0; i < pairs; i++) {
      if (truthy((parts[2 * i] as LogicNode).run(s))) return (parts[2 * i + 1] as LogicNode).run(s);
    }
    return otherwise.run(s);
  };
  return { run, constant };
}

function compileAndOr(and: boolean, raw: unknown, path: string, usage: LogicUsage): LogicNode {
  if (!Array.isArray(raw)) {
    const data = compileNode(raw, path, usage);
    return { run: () => fail('`and`/`or` need a list'), constant: data.constant };
  }
  const parts = raw.map((item, i) => compileNode(item, `${path}[${i}]`, usage));
  const constant = parts.every((part) => part.constant);
  if (parts.length === 0) return literal(null);
  const run: Run = (s) => {
    let value: unknown;
    for (const part of parts) {
      value = part.run(s);
      s.prev = value;
      if (truthy(value) !== and) return value;
    }
    return value;
  };
  return { run, constant, bare: true };
}

function compileComparison(op: Comparison, raw: unknown, path: string, usage: LogicUsage): LogicNode {
  const strict = op.length === 3;
  if (!Array.isArray(raw) || raw.length < 2) {
    const data = Array.isArray(raw) ? compileArgs(raw, path, usage) : compileNode(raw, path, usage);
    return { run: () => fail(`\`${op}\` needs two arguments`), constant: data.constant };
  }
  const parts = raw.map((item, i) => compileNode(item, `${path}[${i}]`, usage));
  const constant = parts.every((part) => part.constant);
  const run: Run = (s) => (s.folding ? interpretedComparison : compiledComparison)(op, strict, parts, s);
  return { run, constant };
}

function compileIn(raw: unknown, path: string, usage: LogicUsage): LogicNode {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    throw new Unsupported('`in` over a single expression (write [item, list])', path);
  }
  const args = Array.isArray(raw) ? raw : [raw];
  const item = compileNode(args[0], `${path}[0]`, usage);
  const container = compileNode(args[1], `${path}[1]`, usage);
  refuseBare([container], `${path}[1]`, 'as the list of `in`');
  const run: Run = (s) => {
    const within = container.run(s) || [];
    const value = item.run(s);
    if (typeof within === 'string') return within.includes(String(value));
    if (Array.isArray(within)) return within.includes(value);
    return fail('`in` needs a list or a text');
  };
  return { run, constant: item.constant && container.constant };
}

function compileCat(raw: unknown, path: string, usage: LogicUsage): LogicNode {
  if (typeof raw === 'string' || typeof raw === 'number') return literal(String(raw));
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const single = compileNode(raw, path, usage);
    return { run: (s) => catValues(single.run(s), true), constant: single.constant };
  }
  const parts = (Array.isArray(raw) ? raw : [raw]).map((item, i) =>
    compileNode(item, `${path}[${i}]`, usage),
  );
  refuseBare(parts, path, 'inside `cat`');
  const run: Run = (s) => {
    // The interpreter (constants) passes a one-item list's item itself: `cat` of null then fails.
    if (s.folding && parts.length === 1 && !(Array.isArray(raw) && Array.isArray(raw[0]))) {
      return catValues((parts[0] as LogicNode).run(s), true);
    }
    let text = '';
    for (const part of parts) {
      const value = part.run(s);
      // Compiled, `'' + null` is "null"; the interpreter (constants) skips null.
      if (s.folding && (value === null || value === undefined)) continue;
      text += String(value);
    }
    return text;
  };
  return { run, constant: parts.every((part) => part.constant) };
}

/** See {@link LogicNode.bare}: flagd-core's answer there follows the generated JavaScript, not JsonLogic. */
function refuseBare(nodes: readonly LogicNode[], path: string, where: string): void {
  if (nodes.some((node) => node.bare === true && !node.constant)) {
    throw new Unsupported(
      `\`and\`, \`or\` or \`missing\` ${where} (flagd-core evaluates it with JavaScript's operator precedence, not as JsonLogic)`,
      path,
    );
  }
}

function compileMissingSome(raw: unknown, path: string, usage: LogicUsage): LogicNode {
  if (!Array.isArray(raw) || !Array.isArray(raw[1]) || !raw[1].every(isKey)) {
    throw new Unsupported('`missing_some` other than [count, [names…]]', path);
  }
  const options = raw[1] as (string | number)[];
  const need = compileNode(raw[0], `${path}[0]`, usage);
  if (!need.constant) throw new Unsupported('`missing_some` with a computed count', path);
  const run: Run = (s) => {
    const found = missing(options, s);
    s.prev = found;
    return options.length - found.length < (need.run(s) as number) ? found : [];
  };
  return { run, constant: false, bare: true };
}

function isKey(value: unknown): value is string | number {
  return typeof value === 'string' || typeof value === 'number';
}

function substrOf(args: unknown[]): string {
  return substr(args[0], args[1], args[2]);
}

function fail(message: string): never {
  throw new LogicFailure(message);
}
