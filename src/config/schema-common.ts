import { z } from 'zod';
import { DNS_LABEL_HINT, DNS_LABEL as DNS_LABEL_PATTERN } from '../core/names.js';
import { DURATION_HINT, DURATION_PATTERN, parseDuration } from '../core/time.js';

/**
 * Building blocks shared by the schema files. Each named pattern carries the issue code and hint
 * used when a value does not match it, so messages say "not a valid environment name" rather than
 * "must match /^[a-z]…$/".
 */
export interface PatternInfo {
  readonly code: string;
  /** What the value should be, completing "`x` is not …". */
  readonly what: string;
  readonly hint: string;
}

const PATTERNS = new Map<string, PatternInfo>();

function named(re: RegExp, info: PatternInfo): RegExp {
  PATTERNS.set(String(re), info);
  return re;
}

/** Finds the explanation of a pattern from the `pattern` field of a zod `invalid_format` issue. */
export function patternInfo(pattern: string | undefined): PatternInfo | undefined {
  return pattern === undefined ? undefined : PATTERNS.get(pattern);
}

named(DURATION_PATTERN, {
  code: 'invalid_duration',
  what: 'a duration',
  hint: DURATION_HINT,
});

const DNS_LABEL = named(DNS_LABEL_PATTERN, {
  code: 'invalid_name',
  what: 'a valid name (a lowercase DNS label)',
  hint: DNS_LABEL_HINT,
});

const IDENTIFIER = named(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
  code: 'invalid_name',
  what: 'a valid name',
  hint: 'use letters, digits, `-`, `_` and `.`, starting with a letter or digit',
});

const ENV_VAR = named(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  code: 'invalid_env_name',
  what: 'a valid environment variable name',
  hint: 'use letters, digits and `_`, not starting with a digit (for example `API_KEY`)',
});

const HTTP_PATH = named(/^\/\S*$/, {
  code: 'invalid_path',
  what: 'an HTTP path',
  hint: 'start with `/`, for example `/healthz`',
});

const JSON_PATH = named(/^\$(?:\.|\[|$)/, {
  code: 'invalid_json_path',
  what: 'a JSONPath expression',
  hint: 'start at the document root with `$`, for example `$.revision` or `$.items[0].id`',
});

/** A duration string in the file, milliseconds in the normalized config. */
export function duration(description: string) {
  return z
    .string()
    .regex(DURATION_PATTERN)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms !== undefined) return ms;
      // The syntax is right but the total overflows (`99999999999999w`).
      ctx.issues.push({
        code: 'custom',
        input: text,
        message: `\`${text}\` is too long a duration`,
        params: { code: 'invalid_duration', hint: 'give a duration of at most a few years' },
      });
      return z.NEVER;
    })
    .describe(`${description} A duration such as \`500ms\`, \`30s\`, \`10m\`, \`72h\`, \`7d\`.`);
}

/** A duration with a default; the default is parsed like a written value and shown in the JSON Schema. */
export function durationWithDefault(description: string, fallback: string) {
  return duration(description)
    .prefault(fallback)
    .describe(`${description} A duration such as \`500ms\`, \`30s\`, \`10m\`. Default \`${fallback}\`.`);
}

/** Service and environment names: they appear in host names (`pr-12.shop.localhost`). */
export const dnsLabel = () => z.string().regex(DNS_LABEL);
/** Stage, template, segment, flag, variant, metric and channel names. */
export const identifier = () => z.string().regex(IDENTIFIER);
export const envVarName = () => z.string().regex(ENV_VAR);
export const httpPath = () => z.string().regex(HTTP_PATH);
export const jsonPath = () => z.string().regex(JSON_PATH);
export const nonEmpty = () => z.string().min(1);

/** Environment variables: names to values; numbers and booleans are written as strings. */
export function envMap(description: string) {
  return z
    .record(envVarName(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
    .default({})
    .describe(description);
}

/** The code of a key whose feature is not built yet: the catalogue's, so tools can tell it apart. */
export const NOT_SUPPORTED = 'FLOWLINE_NOT_SUPPORTED';

/**
 * A key whose feature is not built yet. Absent is fine; any value is refused, because accepting
 * it would let a file rely on something Flowline silently ignores. The JSON Schema says so too.
 */
export function notSupported(message: string, hint: string) {
  return z
    .unknown()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      ctx.addIssue({ code: 'custom', message, params: { code: NOT_SUPPORTED, hint } });
    })
    .meta({ not: {} })
    .describe(`${message}.`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Requires exactly one of `keys` on an object (a canary step is `setWeight` OR `pause` …).
 * It runs even when other fields of the object are broken, so every problem is reported at once;
 * "needs one of" is dropped later when an unknown key explains it (a typo like `setWieght`).
 */
export function exactlyOne<T extends z.ZodType>(schema: T, keys: readonly string[], what: string): T {
  const list = keys.map((key) => `\`${key}\``).join(', ');
  return schema.superRefine(
    (value, ctx) => {
      if (!isRecord(value)) return;
      const present = keys.filter((key) => value[key] !== undefined);
      if (present.length === 1) return;
      if (present.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `${what} needs exactly one of ${list}`,
          params: { code: 'missing_one_of', hint: `add one of ${list}`, quietIfUnknownKey: true },
        });
        return;
      }
      ctx.addIssue({
        code: 'custom',
        message: `${what} has ${present.map((key) => `\`${key}\``).join(' and ')}; it takes exactly one of ${list}`,
        params: {
          code: 'conflicting_keys',
          hint: `keep one of them${what.includes('step') ? ' (split into separate steps)' : ''}`,
        },
      });
    },
    { when: () => true },
  );
}
