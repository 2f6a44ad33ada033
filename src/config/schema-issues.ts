import { z } from 'zod';
import { counted } from '../core/plural.js';
import { DURATION_PATTERN } from '../core/time.js';
import { configSchema, type ParsedConfig } from './schema.js';
import { patternInfo } from './schema-common.js';
import type { PathSegment, RawIssue } from './source.js';
import { describeValue, didYouMean, listOf, shorten } from './suggest.js';

/**
 * Runs the zod schema and rewrites its issues for people: stable codes, messages in the words of
 * a YAML file ("a mapping", "a list"), a hint for each, and "did you mean" for unknown keys.
 */

export type SchemaResult = { ok: true; value: ParsedConfig } | { ok: false; issues: RawIssue[] };

/** What the error map saw of the schema at a path; zod's final issues do not carry it. */
interface SchemaContext {
  knownKeys?: string[];
  duration?: boolean;
  /** An object whose keys are all optional: `{}` is a fine value. */
  emptyOk?: boolean;
}

export function validateSchema(data: unknown): SchemaResult {
  const context = new Map<string, SchemaContext>();
  const result = configSchema.safeParse(data, {
    reportInput: true,
    error: (issue) => {
      const key = pathKey(issue.path ?? []);
      if (issue.code === 'unrecognized_keys' && issue.inst instanceof z.ZodObject) {
        context.set(key, { knownKeys: Object.keys(issue.inst.shape) });
      }
      if (issue.code === 'invalid_type' && issue.inst instanceof z.ZodObject) {
        const fields: z.ZodType[] = Object.values(issue.inst.shape);
        context.set(key, { emptyOk: fields.every((field) => field._zod.optin === 'optional') });
      }
      if (issue.code === 'invalid_type' && issue.inst instanceof z.ZodString) {
        const checks = issue.inst._zod.def.checks ?? [];
        const isDuration = checks.some(
          (check) => 'pattern' in check._zod.def && check._zod.def.pattern === DURATION_PATTERN,
        );
        context.set(key, { duration: isDuration });
      }
      return undefined;
    },
  });
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues;
  // "needs one of" under an unknown key is the same mistake (`setWieght:`): say it once.
  const unknownAt = new Set(issues.filter((i) => i.code === 'unrecognized_keys').map((i) => pathKey(i.path)));
  const kept = issues.filter(
    (issue) =>
      !(issue.code === 'custom' && issue.params?.quietIfUnknownKey && unknownAt.has(pathKey(issue.path))),
  );
  return { ok: false, issues: kept.flatMap((issue) => describeIssue(issue, context)) };
}

function describeIssue(issue: z.core.$ZodIssue, context: Map<string, SchemaContext>): RawIssue[] {
  const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
  const name = String(path.at(-1) ?? 'the file');
  const at = context.get(pathKey(issue.path));
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        code: 'unknown_key',
        message: `unknown key \`${key}\``,
        path: [...path, key],
        at: 'key',
        hint: (budget) => didYouMean(key, at?.knownKeys ?? [], 'allowed keys here', budget),
      }));
    case 'invalid_type': {
      if (issue.input === undefined) {
        return [{ code: 'missing_key', message: `missing required key \`${name}\``, path, ...hintFor(name) }];
      }
      if (at?.duration && typeof issue.input === 'number') {
        return [
          {
            code: 'invalid_duration',
            message: `\`${issue.input}\` has no unit`,
            path,
            hint: `write \`${issue.input}s\`, \`${issue.input}ms\` or \`${issue.input}m\`: durations need a unit`,
          },
        ];
      }
      const message = `expected ${expectedText(issue.expected)}, got ${describeValue(issue.input)}`;
      const hint =
        path.length === 0 ? rootHint : typeHint(name, issue.expected, issue.input, at?.emptyOk === true);
      return [{ code: 'invalid_type', message, path, ...hint }];
    }
    case 'invalid_union': {
      const expected = issue.errors.flatMap((branch) =>
        branch.flatMap((inner) =>
          inner.code === 'invalid_type' && inner.path.length === 0 ? [inner.expected] : [],
        ),
      );
      const wanted = alternatives(expected);
      const message = `expected ${wanted}, got ${describeValue(issue.input)}`;
      return [{ code: 'invalid_type', message, path, hint: `replace it with ${wanted}` }];
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      if (issue.input === undefined) {
        return [{ code: 'missing_key', message: `missing required key \`${name}\``, path, ...hintFor(name) }];
      }
      if (name === 'version' && path.length === 1) {
        return [
          {
            code: 'unsupported_version',
            message: `version ${JSON.stringify(issue.input)} is not supported; this Flowline reads version 1`,
            path,
            hint: 'set `version: 1`, or upgrade Flowline',
          },
        ];
      }
      const got =
        typeof issue.input === 'string' ? `\`${shorten(issue.input)}\`` : describeValue(issue.input);
      return [
        {
          code: 'invalid_value',
          message: `${got} is not one of ${listOf(values)}`,
          path,
          hint: (budget) => didYouMean(String(issue.input), values, 'allowed values', budget),
        },
      ];
    }
    case 'invalid_format':
      return [{ path, ...formatProblem(issue) }];
    case 'invalid_key': {
      const inner = issue.issues[0];
      const info = inner?.code === 'invalid_format' ? patternInfo(inner.pattern) : undefined;
      return [
        {
          code: info?.code ?? 'invalid_key',
          message: `\`${shorten(String(issue.input))}\` is not ${info?.what ?? 'a valid key'}`,
          path,
          at: 'key',
          ...(info ? { hint: info.hint } : {}),
        },
      ];
    }
    case 'too_small':
    case 'too_big':
      return [{ path, ...sizeProblem(issue, name) }];
    case 'not_multiple_of':
      return [{ code: 'out_of_range', message: `must be a multiple of ${issue.divisor}`, path }];
    case 'custom': {
      const code = typeof issue.params?.code === 'string' ? issue.params.code : 'invalid_value';
      const hint = typeof issue.params?.hint === 'string' ? { hint: issue.params.hint } : {};
      return [{ code, message: issue.message, path, ...hint }];
    }
    default:
      return [{ code: issue.code, message: issue.message, path }];
  }
}

function formatProblem(issue: z.core.$ZodIssueInvalidStringFormat): Omit<RawIssue, 'path'> {
  const got = `\`${shorten(String(issue.input))}\``;
  const info = patternInfo(issue.pattern);
  if (info) return { code: info.code, message: `${got} is not ${info.what}`, hint: info.hint };
  switch (issue.format) {
    case 'url':
      return {
        code: 'invalid_url',
        message: `${got} is not a valid URL`,
        hint: 'write a full URL such as `http://prometheus:9090`',
      };
    case 'datetime':
      return {
        code: 'invalid_date',
        message: `${got} is not a date-time with a zone`,
        hint: 'write ISO 8601 with a zone, e.g. `2026-12-01T09:00:00Z`',
      };
    case 'date':
      return {
        code: 'invalid_date',
        message: `${got} is not a date`,
        hint: 'write `YYYY-MM-DD`, e.g. `2026-12-31`',
      };
    default:
      return { code: 'invalid_format', message: `${got} is not a valid ${issue.format}` };
  }
}

function sizeProblem(
  issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig,
  name: string,
): Omit<RawIssue, 'path'> {
  const small = issue.code === 'too_small';
  const limit = Number(small ? issue.minimum : issue.maximum);
  if (issue.origin === 'array') {
    const items = counted(limit, 'item');
    return small
      ? { code: 'too_few_items', message: `\`${name}\` needs at least ${items}`, ...hintFor(name) }
      : { code: 'too_many_items', message: `\`${name}\` takes at most ${items}` };
  }
  if (issue.origin === 'string') {
    return small && limit === 1
      ? {
          code: 'empty_value',
          message: `\`${name}\` must not be empty`,
          hint: 'give a value, or remove the key',
        }
      : {
          code: 'invalid_length',
          message: `\`${name}\` must have ${small ? 'at least' : 'at most'} ${limit} characters`,
        };
  }
  const bound = small
    ? issue.inclusive === false
      ? `greater than ${limit}`
      : `at least ${limit}`
    : issue.inclusive === false
      ? `less than ${limit}`
      : `at most ${limit}`;
  return {
    code: 'out_of_range',
    message: `\`${name}\` must be ${bound}, got ${describeValue(issue.input)}`,
    hint: `use a number ${bound}`,
  };
}

const REQUIRED_HINTS: Readonly<Record<string, string>> = {
  version: 'add `version: 1` at the top of the file',
  service: 'add `service: <name>`, a lowercase name such as `checkout`',
  steps: 'add `steps:` with at least one `- run: <command>`',
  run: 'add `run: <shell command>`',
  command: 'add `command: <shell command>`',
  metrics: 'add `metrics:` with at least one metric',
  provider: 'add `provider:` with one of `router`, `prometheus`, `web`, `business`, `judge`',
  templates: 'add `templates: [{ templateName: <name> }]`',
};

function hintFor(name: string): { hint?: string } {
  const hint = REQUIRED_HINTS[name];
  return hint === undefined ? {} : { hint };
}

const rootHint = {
  hint: 'flowline.yaml is a mapping of sections: `version: 1`, `service: <name>`, `build:`, …',
};

function typeHint(name: string, expected: string, input: unknown, emptyOk: boolean): { hint: string } {
  if (expected === 'number' || expected === 'int') {
    if (typeof input === 'string' && input.trim() !== '' && Number.isFinite(Number(input))) {
      return { hint: 'remove the quotes around the number' };
    }
  }
  if (expected === 'boolean' && typeof input === 'string') {
    return { hint: 'write `true` or `false` without quotes (YAML 1.2 reads `yes`/`on` as text)' };
  }
  if (expected === 'object' && input === null && emptyOk)
    return { hint: `write \`${name}: {}\` for an empty mapping` };
  if (expected === 'object' && name === 'pause' && typeof input === 'string') {
    return { hint: `write \`pause: { duration: ${input} }\`` };
  }
  if (expected === 'array' && (typeof input === 'string' || typeof input === 'number')) {
    return { hint: `write a list: \`${name}: [${String(input)}]\`` };
  }
  if (expected === 'array' && input === null) return { hint: `write \`${name}: []\` for an empty list` };
  if (input === null) return { hint: 'the value is empty: give one, or remove the key' };
  return { hint: `replace it with ${expectedText(expected)}` };
}

function expectedText(expected: string): string {
  switch (expected) {
    case 'int':
      return 'an integer';
    case 'object':
    case 'record':
      return 'a mapping';
    case 'array':
    case 'tuple':
      return 'a list';
    case 'boolean':
      return '`true` or `false`';
    default:
      return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
  }
}

function alternatives(expected: readonly string[]): string {
  const texts = [...new Set(expected.map(expectedText))];
  if (texts.length === 0) return 'another kind of value';
  return texts.length === 1 ? (texts[0] ?? '') : `${texts.slice(0, -1).join(', ')} or ${texts.at(-1)}`;
}

function pathKey(path: readonly PropertyKey[]): string {
  return path.map(String).join('\u0000');
}
