import type { Node } from './ast.js';

/**
 * Prints a tree back as a condition, with only the parentheses it needs: parsing the output gives
 * the same tree. Used in messages and by the round-trip property test.
 */

const PRECEDENCE: Readonly<Record<string, number>> = {
  '||': 1,
  '&&': 2,
  '<': 3,
  '<=': 3,
  '>': 3,
  '>=': 3,
  '==': 3,
  '!=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
};
const UNARY = 6;
const POSTFIX = 7;
const COMPARISON = 3;

export function formatExpression(node: Node): string {
  switch (node.kind) {
    case 'literal':
      return typeof node.value === 'string' ? quote(node.value) : String(node.value);
    case 'name':
      return node.name;
    case 'unary':
      return `${node.op}${wrap(node.operand, precedenceOf(node.operand) < UNARY)}`;
    case 'binary': {
      const own = PRECEDENCE[node.op] ?? 0;
      const left = precedenceOf(node.left);
      const right = precedenceOf(node.right);
      // Left-associative; comparisons do not chain, so a comparison operand always gets parentheses.
      const leftNeeds = left < own || (own === COMPARISON && left === own);
      return `${wrap(node.left, leftNeeds)} ${node.op} ${wrap(node.right, right <= own)}`;
    }
    case 'member':
      return `${wrap(node.object, needsParensAsObject(node.object))}.${node.property}`;
    case 'index':
      return `${wrap(node.object, needsParensAsObject(node.object))}[${formatExpression(node.index)}]`;
    case 'call':
      return `${node.fn}(${node.args.map(formatExpression).join(', ')})`;
  }
}

function precedenceOf(node: Node): number {
  if (node.kind === 'binary') return PRECEDENCE[node.op] ?? 0;
  if (node.kind === 'unary') return UNARY;
  return POSTFIX;
}

/** `(1).x`: a number followed by `.` would read as a decimal point. */
function needsParensAsObject(node: Node): boolean {
  return precedenceOf(node) < POSTFIX || (node.kind === 'literal' && typeof node.value === 'number');
}

function wrap(node: Node, parens: boolean): string {
  const text = formatExpression(node);
  return parens ? `(${text})` : text;
}

function quote(text: string): string {
  const escaped = text.replace(
    /[\\"\n\r\t]/g,
    (ch) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[ch] ?? ch,
  );
  return `"${escaped}"`;
}
