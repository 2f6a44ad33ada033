import { parseDuration } from '../core/time.js';

/**
 * The quality plan's acceptable quality levels (AQL) as conditions a machine can check:
 * `<metric> <op> <value>`, e.g. `lines >= 80%`, `critical == 0`, `leadTime <= 24h`. Which metrics a
 * deliverable may name depends on its method of assessment; each metric has a unit that decides how
 * its value is written. The grammar and the catalogue live here, beside the config that uses them;
 * src/quality measures the metrics and checks the conditions.
 */

/** The methods of assessment. `manual` is signed off by a person; the others are measured. */
export const QUALITY_METHODS = [
  'coverage',
  'lint',
  'vulnerabilities',
  'accessibility',
  'dora',
  'deployment',
  'documentation',
  'manual',
] as const;
export type QualityMethod = (typeof QUALITY_METHODS)[number];

/** How a metric's value is written and compared. */
export type MetricUnit =
  /** 0–100; `80` and `80%` mean the same. */
  | 'percent'
  /** 0–1; written `0.15` or `15%`. */
  | 'share'
  /** Milliseconds; written as a duration (`24h`, `90m`). */
  | 'duration'
  /** A whole number of things (errors, vulnerabilities, files). */
  | 'count'
  /** Any number (deployments per day). */
  | 'number';

/** The report formats each measured method reads, the first being the default where one is. */
export const QUALITY_FORMATS: Readonly<Partial<Record<QualityMethod, readonly string[]>>> = {
  coverage: ['lcov', 'cobertura'],
  lint: ['sarif', 'eslint'],
  vulnerabilities: ['npm-audit'],
  accessibility: ['axe', 'pa11y'],
};

const COUNT = 'count' as const;

/** The metrics of each method (lint read from an exit code only has `exitCode`). */
export const METHOD_METRICS: Readonly<Record<QualityMethod, Readonly<Record<string, MetricUnit>>>> = {
  coverage: { lines: 'percent', branches: 'percent' },
  lint: { errors: COUNT, warnings: COUNT, exitCode: COUNT },
  vulnerabilities: { critical: COUNT, high: COUNT, moderate: COUNT, low: COUNT, info: COUNT, total: COUNT },
  accessibility: {
    errors: COUNT,
    warnings: COUNT,
    notices: COUNT,
    critical: COUNT,
    serious: COUNT,
    moderate: COUNT,
    minor: COUNT,
  },
  dora: {
    deploymentsPerDay: 'number',
    deploymentsPerWeek: 'number',
    deploymentDaysPerWeek: 'number',
    leadTime: 'duration',
    leadTimeP90: 'duration',
    changeFailRate: 'share',
    recoveryTime: 'duration',
    recoveryTimeP90: 'duration',
    reworkRate: 'share',
  },
  deployment: { succeeded: COUNT, failed: COUNT },
  documentation: { missing: COUNT, present: COUNT },
  manual: {},
};

export const AQL_OPERATORS = ['>=', '<=', '==', '!=', '>', '<'] as const;
export type AqlOperator = (typeof AQL_OPERATORS)[number];

/** One checkable condition of an AQL. */
export interface AqlCondition {
  /** As written, for reports. */
  readonly text: string;
  readonly metric: string;
  readonly op: AqlOperator;
  /** In the metric's unit: percent 0–100, share 0–1, duration in ms. */
  readonly value: number;
}

export type AqlParse =
  | { readonly ok: true; readonly condition: AqlCondition }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly hint: string };

const SHAPE = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$/;
const NUMBER = /^-?\d+(?:\.\d+)?$/;

/** Parses one condition against the metrics of `method`. */
export function parseAql(text: string, method: QualityMethod): AqlParse {
  const metrics = METHOD_METRICS[method];
  const match = SHAPE.exec(text);
  if (match === null) {
    return {
      ok: false,
      code: 'invalid_aql',
      message: `\`${text}\` is not a condition of the form \`<metric> <op> <value>\``,
      hint: `write e.g. \`${exampleOf(method)}\`; operators are ${AQL_OPERATORS.join(' ')}`,
    };
  }
  const [, metric = '', op = '==', raw = ''] = match;
  const unit = metrics[metric];
  if (unit === undefined) {
    return {
      ok: false,
      code: 'unknown_metric',
      message: `\`${metric}\` is not a metric of the \`${method}\` method`,
      hint: `its metrics: ${Object.keys(metrics).join(', ') || 'none (a manual deliverable is signed off)'}`,
    };
  }
  const value = readValue(raw, unit);
  if (value === undefined) {
    return {
      ok: false,
      code: 'invalid_aql_value',
      message: `\`${raw}\` is not a value for \`${metric}\` (${UNIT_TEXT[unit]})`,
      hint: `write e.g. \`${metric} ${op} ${UNIT_EXAMPLE[unit]}\``,
    };
  }
  return { ok: true, condition: { text: text.trim(), metric, op: op as AqlOperator, value } };
}

const UNIT_TEXT: Record<MetricUnit, string> = {
  percent: 'a percentage from 0 to 100',
  share: 'a share from 0 to 1, or a percentage',
  duration: 'a duration such as `24h`',
  count: 'a whole number',
  number: 'a number',
};
const UNIT_EXAMPLE: Record<MetricUnit, string> = {
  percent: '80%',
  share: '15%',
  duration: '24h',
  count: '0',
  number: '1',
};

function readValue(raw: string, unit: MetricUnit): number | undefined {
  const percent = raw.endsWith('%');
  const digits = percent ? raw.slice(0, -1) : raw;
  if (unit === 'duration') return parseDuration(raw);
  if (!NUMBER.test(digits)) return undefined;
  const n = Number(digits);
  switch (unit) {
    case 'percent':
      return n >= 0 && n <= 100 ? n : undefined;
    case 'share': {
      const share = percent ? n / 100 : n;
      return share >= 0 && share <= 1 ? share : undefined;
    }
    case 'count':
      return !percent && Number.isInteger(n) && n >= 0 ? n : undefined;
    case 'number':
      return percent ? undefined : n;
  }
}

function exampleOf(method: QualityMethod): string {
  const [metric, unit] = Object.entries(METHOD_METRICS[method])[0] ?? ['lines', 'percent'];
  return `${metric} >= ${UNIT_EXAMPLE[unit as MetricUnit]}`;
}

/** Whether a measured value meets a condition. */
export function meets(value: number, condition: Pick<AqlCondition, 'op' | 'value'>): boolean {
  switch (condition.op) {
    case '>=':
      return value >= condition.value;
    case '<=':
      return value <= condition.value;
    case '>':
      return value > condition.value;
    case '<':
      return value < condition.value;
    case '==':
      return value === condition.value;
    case '!=':
      return value !== condition.value;
  }
}
