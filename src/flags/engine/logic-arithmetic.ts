import { FlagdRejects, FOLD_STATE, type LogicNode, type LogicState, Unsupported } from './logic-types.js';
import { LogicFailure, precoerce, toNumber } from './logic-values.js';

/**
 * JsonLogic arithmetic as json-logic-engine compiles it: literal operands are converted while
 * compiling (a text that is not a number, a list, or a literal zero divisor rejects the flag),
 * other operands at evaluation; any NaN fails the evaluation.
 */

export type Arithmetic = '+' | '-' | '*' | '/' | '%';

type Operand =
  | { readonly kind: 'const'; readonly value: number; readonly zeroText: boolean }
  | { readonly kind: 'run'; readonly node: LogicNode }
  | { readonly kind: 'fail' };

export function arithmetic(
  op: Arithmetic,
  raw: unknown,
  path: string,
  compile: (node: unknown, path: string) => LogicNode,
  interpreted = false,
): LogicNode {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    throw new Unsupported(`\`${op}\` over a single expression (write a list of operands)`, path);
  }
  const items = Array.isArray(raw) ? raw : [raw];
  const operands = items.map((item, i) => operand(item, `${path}[${i}]`, compile));
  if ((op === '-' || op === '/') && operands.length === 0)
    throw new FlagdRejects(`\`${op}\` without operands`);
  if (op === '%' && operands.length < 2) throw new FlagdRejects('`%` needs two operands');
  if (interpreted && (op === '+' || op === '-') && operands.length === 1 && operands[0]?.kind === 'run') {
    throw new Unsupported(`a one-operand \`${op}\` inside an \`if\` of fewer than three parts`, path);
  }
  const list = op === '/' && operands.length === 1 ? [constant(1), ...operands] : operands;
  if (op === '/' && list.slice(1).some((o) => o.kind === 'const' && o.zeroText)) {
    throw new FlagdRejects('a division by a literal zero');
  }
  const constantNode = list.every((o) => o.kind !== 'run');
  const run = (s: LogicState): unknown => {
    const values = list.map((o) => operandValue(o, s));
    return combine(op, values);
  };
  return { run, constant: constantNode };
}

function constant(value: number, zeroText = false): Operand {
  return { kind: 'const', value, zeroText };
}

function operand(item: unknown, path: string, compile: (node: unknown, path: string) => LogicNode): Operand {
  if (Array.isArray(item)) throw new FlagdRejects('a list as an arithmetic operand');
  if (typeof item === 'number') return constant(item, item === 0);
  if (typeof item === 'boolean') return constant(+item);
  if (item === null || item === undefined) return constant(0);
  if (typeof item === 'string') return textConstant(item);
  if (Object.keys(item as object).length === 0) throw new FlagdRejects('an empty object as an operand');
  const node = compile(item, path);
  if (!node.constant) return { kind: 'run', node };
  let value: unknown;
  try {
    value = node.run(FOLD_STATE);
  } catch {
    return { kind: 'fail' };
  }
  if (typeof value === 'number' && Number.isFinite(value)) return constant(value, value === 0);
  if (typeof value === 'boolean') return constant(+value);
  if (value === null) return constant(0);
  if (typeof value === 'string') return textConstant(value);
  try {
    return constant(toNumber(value));
  } catch {
    return { kind: 'fail' };
  }
}

function textConstant(text: string): Operand {
  const value = +text;
  if (Number.isNaN(value)) throw new FlagdRejects(`the text ${JSON.stringify(text)} as a number`);
  return constant(value, value === 0);
}

function operandValue(o: Operand, s: LogicState): number {
  if (o.kind === 'const') return o.value;
  if (o.kind === 'fail') throw new LogicFailure('NaN');
  return toNumber(o.node.run(s));
}

function combine(op: Arithmetic, values: number[]): number {
  const [first = 0, ...rest] = values;
  switch (op) {
    case '+':
      return precoerce(values.reduce((a, b) => a + b, 0)) as number;
    case '*':
      return precoerce(values.reduce((a, b) => a * b, 1)) as number;
    case '-':
      if (rest.length === 0) return -(precoerce(first) as number);
      return precoerce(rest.reduce((a, b) => a - b, first)) as number;
    case '/':
      return precoerce(rest.reduce((a, b) => a / (precoerce(b || Number.NaN) as number), first)) as number;
    default:
      return precoerce(rest.reduce((a, b) => a % b, first)) as number;
  }
}
