import { parseIpRange, regexProblem, SINGLE_VALUE_OPERATORS } from '../flags/engine/index.js';
import {
  arrowPath,
  checkDuplicates,
  type Findings,
  findCycles,
  type Known,
  keys,
  known,
  list,
  type Path,
  rec,
  text,
} from './rules-util.js';
import { describeValue, didYouMean, listOf } from './suggest.js';
import type { Operator } from './types.js';

/** Cross-reference rules of segments and flags: names, variants, value types, weights, conditions. */

const NUMBER_OPS: ReadonlySet<string> = new Set<Operator>(['lt', 'lte', 'gt', 'gte']);
const SEMVER = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export function checkSegments(
  findings: Findings,
  data: Record<string, unknown>,
  usedSegments: Set<string>,
): void {
  for (const [name, raw] of Object.entries(rec(data.segments))) {
    const segment = rec(raw);
    list(segment.rules).forEach((rule, index) => {
      checkCondition(findings, rec(rule), ['segments', name, 'rules', index]);
    });
    if (list(segment.include).length === 0 && list(segment.rules).length === 0) {
      findings.warnings.push({
        code: 'empty_segment',
        message: `segment \`${name}\` has neither \`include\` nor \`rules\`, so it matches nobody`,
        path: ['segments', name],
        at: 'key',
        hint: 'add `include: [<user id>]` or `rules:`',
      });
    } else if (!usedSegments.has(name)) {
      findings.warnings.push({
        code: 'unused_segment',
        message: `segment \`${name}\` is not used by any flag`,
        path: ['segments', name],
        at: 'key',
        hint: 'use it in a flag rule (`segment: <name>`) or remove it',
      });
    }
  }
}

/** Checks the flags and returns the names of the segments they use. */
export function checkFlags(findings: Findings, data: Record<string, unknown>): Set<string> {
  const used = new Set<string>();
  const flags = rec(data.flags);
  const environments = known(keys(data.environments));
  const segments = known(keys(data.segments));
  const flagNames = Object.keys(flags);
  // Undefined when the variants are missing (reported once): references to them are not checked.
  const variantsOf = new Map<string, Known | undefined>();
  for (const [key, raw] of Object.entries(flags)) {
    variantsOf.set(key, checkVariants(findings, key, rec(raw)));
  }
  for (const [key, raw] of Object.entries(flags)) {
    const flag = rec(raw);
    const variants = variantsOf.get(key);
    const base: Path = ['flags', key];
    const checkVariant = (value: unknown, path: Path): void => {
      const name = text(value);
      if (name === undefined || variants === undefined || variants.has(name)) return;
      findings.errors.push({
        code: 'missing_variant',
        message: `flag \`${key}\` has no variant \`${name}\``,
        path,
        hint: (budget) => didYouMean(name, variants.names, 'its variants', budget),
      });
    };
    if (flag.defaultVariant !== undefined) checkVariant(flag.defaultVariant, [...base, 'defaultVariant']);
    list(flag.prerequisites).forEach((raw, index) => {
      const prerequisite = rec(raw);
      const other = text(prerequisite.flag);
      const path: Path = [...base, 'prerequisites', index];
      if (other === undefined) return;
      if (!Object.hasOwn(flags, other)) {
        findings.errors.push({
          code: 'missing_flag',
          message: `prerequisite flag \`${other}\` is not defined`,
          path: [...path, 'flag'],
          hint: (budget) => didYouMean(other, flagNames, 'defined flags', budget),
        });
        return;
      }
      const variant = text(prerequisite.variant);
      const otherVariants = variantsOf.get(other);
      if (variant !== undefined && otherVariants !== undefined && !otherVariants.has(variant)) {
        findings.errors.push({
          code: 'missing_variant',
          message: `flag \`${other}\` has no variant \`${variant}\``,
          path: [...path, 'variant'],
          hint: (budget) => didYouMean(variant, otherVariants.names, `variants of \`${other}\``, budget),
        });
      }
    });
    checkDuplicates(
      findings,
      list(flag.prerequisites).map((p) => text(rec(p).flag)),
      (index) => [...base, 'prerequisites', index, 'flag'],
      'prerequisite',
    );
    for (const [envName, rawEnv] of Object.entries(rec(flag.environments))) {
      const path: Path = [...base, 'environments', envName];
      if (!environments.has(envName)) {
        findings.errors.push({
          code: 'missing_environment',
          message: `environment \`${envName}\` is not defined`,
          path,
          at: 'key',
          hint: (budget) => didYouMean(envName, environments.names, 'defined environments', budget),
        });
      }
      checkFlagEnvironment(findings, rec(rawEnv), path, { segments, used, checkVariant });
    }
  }
  const cycles = findCycles(flagNames, (key) =>
    list(rec(flags[key]).prerequisites).flatMap((p) => text(rec(p).flag) ?? []),
  );
  for (const cycle of cycles) {
    const from = cycle.at(-2) ?? '';
    const index = list(rec(flags[from]).prerequisites).findIndex((p) => rec(p).flag === cycle.at(-1));
    findings.errors.push({
      code: 'prerequisite_cycle',
      message: `flag prerequisites form a cycle: ${arrowPath(cycle)}`,
      path: ['flags', from, 'prerequisites', index, 'flag'],
      hint: 'remove one of these prerequisites',
    });
  }
  return used;
}

interface FlagContext {
  readonly segments: Known;
  readonly used: Set<string>;
  readonly checkVariant: (value: unknown, path: Path) => void;
}

function checkFlagEnvironment(
  findings: Findings,
  env: Record<string, unknown>,
  path: Path,
  ctx: FlagContext,
): void {
  list(env.rules).forEach((raw, index) => {
    const rule = rec(raw);
    const rulePath: Path = [...path, 'rules', index];
    const segment = text(rule.segment);
    if (segment !== undefined) {
      ctx.used.add(segment);
      if (!ctx.segments.has(segment)) {
        findings.errors.push({
          code: 'missing_segment',
          message: `segment \`${segment}\` is not defined`,
          path: [...rulePath, 'segment'],
          hint: (budget) => didYouMean(segment, ctx.segments.names, 'defined segments', budget),
        });
      }
    }
    const parts = ['attribute', 'op', 'values'].filter((field) => rule[field] !== undefined);
    if (parts.length === 0 && segment === undefined) {
      findings.errors.push({
        code: 'empty_rule',
        message: 'a flag rule needs a `segment`, a condition (`attribute`, `op`, `values`), or both',
        path: rulePath,
        hint: 'add `segment: <name>` or `attribute: …, op: …, values: […]`',
      });
    } else if (parts.length > 0 && parts.length < 3) {
      const missing = ['attribute', 'op', 'values'].filter((field) => !parts.includes(field));
      findings.errors.push({
        code: 'incomplete_condition',
        message: `a condition needs \`attribute\`, \`op\` and \`values\`; ${listOf(missing, 'and')} missing`,
        path: rulePath,
        hint: `add ${listOf(missing, 'and')}`,
      });
    } else if (parts.length === 3) {
      checkCondition(findings, rule, rulePath);
    }
    ctx.checkVariant(rule.variant, [...rulePath, 'variant']);
    checkRollout(findings, rule.rollout, [...rulePath, 'rollout'], ctx);
  });
  ctx.checkVariant(env.defaultVariant, [...path, 'defaultVariant']);
  checkRollout(findings, env.rollout, [...path, 'rollout'], ctx);
  if (env.rollout !== undefined && env.defaultVariant !== undefined) {
    findings.errors.push({
      code: 'conflicting_keys',
      message: 'both `rollout` and `defaultVariant` say what to serve when no rule matches',
      path: [...path, 'defaultVariant'],
      at: 'key',
      hint: 'keep one of them',
    });
  }
  list(env.schedule).forEach((raw, index) => {
    const change = rec(raw);
    const changePath: Path = [...path, 'schedule', index];
    checkRollout(findings, change.rollout, [...changePath, 'rollout'], ctx);
    if (change.enabled === undefined && change.rollout === undefined) {
      findings.errors.push({
        code: 'missing_one_of',
        message: 'a scheduled change needs `enabled`, `rollout` or both',
        path: changePath,
        hint: 'add `enabled: true` or a `rollout:`',
      });
    }
  });
}

function checkRollout(findings: Findings, raw: unknown, path: Path, ctx: FlagContext): void {
  if (raw === undefined) return;
  const weights = rec(rec(raw).variants);
  let sum = 0;
  let numeric = true;
  for (const [variant, weight] of Object.entries(weights)) {
    ctx.checkVariant(variant, [...path, 'variants', variant]);
    if (typeof weight !== 'number') {
      numeric = false;
      continue;
    }
    sum += weight;
    if (Math.abs(weight * 100 - Math.round(weight * 100)) > 1e-6) {
      findings.errors.push({
        code: 'weight_precision',
        message: `weight ${weight} is finer than 0.01`,
        path: [...path, 'variants', variant],
        hint: 'round it to two decimals',
      });
    }
  }
  if (numeric && Object.keys(weights).length > 0 && Math.abs(sum - 100) > 1e-6) {
    const total = Math.round(sum * 100) / 100;
    findings.errors.push({
      code: 'weights_sum',
      message: `rollout weights sum to ${total}, not 100`,
      path: [...path, 'variants'],
      at: 'key',
      hint: 'make the percentages add up to exactly 100',
    });
  }
}

/** Checks a condition's values against its operator: regexes compile, semvers parse, … */
export function checkCondition(findings: Findings, condition: Record<string, unknown>, path: Path): void {
  const op = text(condition.op);
  const values = list(condition.values);
  if (op === undefined) return;
  if ((SINGLE_VALUE_OPERATORS as ReadonlySet<string>).has(op) && values.length > 1) {
    findings.errors.push({
      code: 'too_many_values',
      message: `\`${op}\` compares with one value, got ${values.length}`,
      path: [...path, 'values'],
      hint: op === 'equals' ? 'use `op: in` to match any of several values' : 'keep one value',
    });
  }
  values.forEach((value, index) => {
    const valuePath: Path = [...path, 'values', index];
    const problem = valueProblem(op, value);
    if (problem !== undefined) findings.errors.push({ ...problem, path: valuePath });
  });
}

function valueProblem(
  op: string,
  value: unknown,
): { code: string; message: string; hint: string } | undefined {
  if (op === 'matches') {
    if (typeof value !== 'string') {
      return {
        code: 'invalid_regex',
        message: '`matches` takes regular expressions',
        hint: 'quote the pattern',
      };
    }
    // The engine's own check: a pattern it would refuse when the flags load fails validation here.
    const problem = regexProblem(value);
    if (problem !== undefined) return problem;
  }
  if (NUMBER_OPS.has(op) && typeof value !== 'number') {
    const quoted = typeof value === 'string' && Number.isFinite(Number(value));
    return {
      code: 'invalid_rule_value',
      message: `\`${op}\` compares numbers; ${JSON.stringify(value)} is not a number`,
      hint: quoted ? 'remove the quotes' : 'use a number, or `semverLt`/`before` for versions and dates',
    };
  }
  if (op.startsWith('semver') && !(typeof value === 'string' && SEMVER.test(value))) {
    return {
      code: 'invalid_semver',
      message: `${JSON.stringify(value)} is not a semantic version`,
      hint: 'write `MAJOR.MINOR.PATCH`, e.g. `"2.4.0"` (quoted)',
    };
  }
  if (op === 'inCidr' && !(typeof value === 'string' && parseIpRange(value) !== undefined)) {
    return {
      code: 'invalid_cidr',
      message: `${JSON.stringify(value)} is not an IP address or CIDR range`,
      hint: 'write e.g. `10.0.0.0/8`, `192.168.1.7` or `2001:db8::/32`',
    };
  }
  if ((op === 'before' || op === 'after') && !isIsoDate(value)) {
    return {
      code: 'invalid_date',
      message: `${JSON.stringify(value)} is not an ISO 8601 date`,
      hint: 'write `2026-12-31` or `2026-12-31T09:00:00Z`',
    };
  }
  return undefined;
}

function isIsoDate(value: unknown): boolean {
  return typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(Date.parse(value));
}

/** Checks the variant values against the flag's type; returns the variant names (undefined: none given). */
function checkVariants(findings: Findings, key: string, flag: Record<string, unknown>): Known | undefined {
  const type = text(flag.type) ?? 'boolean';
  const base: Path = ['flags', key];
  if (flag.variants === undefined) {
    if (type === 'boolean') return known(['on', 'off']);
    findings.errors.push({
      code: 'missing_key',
      message: `a ${type} flag needs \`variants\``,
      path: [...base, 'variants'],
      hint:
        type === 'string' ? 'add `variants: { a: "…", b: "…" }`' : 'add `variants:` with a name per value',
    });
    return undefined;
  }
  const variants = rec(flag.variants);
  for (const [name, value] of Object.entries(variants)) {
    const expected = EXPECTED[type];
    if (expected !== undefined && !expected.test(value)) {
      findings.errors.push({
        code: 'variant_type',
        message: `variant \`${name}\` of the ${type} flag \`${key}\` is ${describeValue(value)}; expected ${expected.what}`,
        path: [...base, 'variants', name],
        hint: `change the value, or set \`type:\` to the type of the values`,
      });
    }
  }
  if (flag.defaultVariant === undefined && !(type === 'boolean' && Object.hasOwn(variants, 'off'))) {
    findings.errors.push({
      code: 'missing_key',
      message: `flag \`${key}\` needs a \`defaultVariant\``,
      path: [...base, 'defaultVariant'],
      hint: `add \`defaultVariant:\` naming one of ${listOf(Object.keys(variants))}`,
    });
  }
  return known(Object.keys(variants));
}

const EXPECTED: Readonly<Record<string, { test: (value: unknown) => boolean; what: string }>> = {
  boolean: { test: (v) => typeof v === 'boolean', what: '`true` or `false`' },
  string: { test: (v) => typeof v === 'string', what: 'a string' },
  number: { test: (v) => typeof v === 'number' && Number.isFinite(v), what: 'a number' },
};
