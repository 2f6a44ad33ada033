/**
 * The condition language of analysis metrics (`result < 0.01 && baseline > 0`): parse once,
 * evaluate safely many times. Dependency-free on purpose: config validation imports it to report
 * syntax errors at file:line:col without loading the analysis engine. docs/analysis.md is its
 * reference.
 */

export { type JsonPathSegment, parseJsonPath, readJsonPath } from '../../core/json-path.js';
export {
  type BinaryOp,
  type Expression,
  type ExprSyntaxError,
  FUNCTIONS,
  type FunctionName,
  MAX_DEPTH,
  NAMES,
  type Node,
  type UnaryOp,
  type Value,
} from './ast.js';
export {
  DEFAULT_MAX_STEPS,
  describe as describeValue,
  type EvalError,
  type EvalOptions,
  type EvalResult,
  evaluate,
  evaluateCondition,
  type Scope,
} from './evaluate.js';
export { formatExpression } from './format.js';
export { formatSyntaxError, MAX_LENGTH, type ParseResult, parseExpression } from './parser.js';
