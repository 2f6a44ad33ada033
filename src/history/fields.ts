import { closest, listOf, shorten } from '../config/index.js';
import { instantOf } from '../metrics/index.js';

/**
 * The columns of the history formats, one table per kind: the CSV header check, the JSON field
 * check and the docs (docs/metrics.md) all follow it. A reader turns one field's raw value (CSV
 * text, or a JSON value) into a checked one, or says what is wrong with it.
 */

/** One field's verdict: its value (null when optional and empty), or what is wrong. */
export type Read<T> = { ok: true; value: T } | { ok: false; code: string; message: string; hint?: string };

export interface Field {
  readonly name: string;
  readonly required: boolean;
  readonly read: (raw: string) => Read<string | null>;
}

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const bad = (code: string, message: string, hint?: string): Read<never> => ({
  ok: false,
  code,
  message,
  ...(hint === undefined ? {} : { hint }),
});

/** Free text up to `max` characters. */
const text =
  (max: number) =>
  (raw: string): Read<string> =>
    raw.length > max
      ? bad('FLOWLINE_IMPORT_VALUE', `is ${raw.length} characters long; at most ${max} are kept`)
      : ok(raw);

/** Names as the catalog takes them: no spaces or slashes. */
const name = (raw: string): Read<string> =>
  /^[^\s/]{1,128}$/.test(raw)
    ? ok(raw)
    : bad(
        'FLOWLINE_IMPORT_VALUE',
        `\`${shorten(raw)}\` is not a name (1–128 characters, no spaces or slashes)`,
      );

const sha = (raw: string): Read<string> =>
  /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(raw)
    ? ok(raw.toLowerCase())
    : bad(
        'FLOWLINE_IMPORT_VALUE',
        `\`${shorten(raw)}\` is not a full commit sha (40 or 64 hex digits)`,
        'Abbreviated shas are ambiguous across a history; export the full one (git rev-parse).',
      );

/** An ISO-8601 date-time with a zone, as UTC `…Z` (how the store keeps times). */
export const time = (raw: string): Read<string> => {
  if (!realDate(raw)) {
    return bad('FLOWLINE_IMPORT_TIME', `\`${shorten(raw)}\` names a day its month does not have`);
  }
  try {
    return ok(new Date(instantOf(raw, 'time')).toISOString());
  } catch {
    const zoneless = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(raw);
    return bad(
      'FLOWLINE_IMPORT_TIME',
      zoneless
        ? `\`${shorten(raw)}\` has no zone: it would be read in some unknown offset`
        : `\`${shorten(raw)}\` is not an ISO-8601 date-time with a zone`,
      'Write it like 2026-11-03T10:15:00Z or 2026-11-03T11:15:00+01:00.',
    );
  }
};

/** False for `2026-02-30…`, which `Date.parse` would quietly read as March 2nd. */
function realDate(raw: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(raw);
  if (m === null) return true; // not this shape: the parser below decides
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return (
    month >= 1 && month <= 12 && day >= 1 && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day
  );
}

/** One of `values`; a near miss (`rolledback`, `Succeeded`) is named in the hint. */
const oneOf =
  (values: readonly string[]) =>
  (raw: string): Read<string> => {
    if (values.includes(raw)) return ok(raw);
    const near = closest(raw, values);
    return bad(
      'FLOWLINE_IMPORT_VALUE',
      `\`${shorten(raw)}\` is not one of ${listOf(values)}`,
      near === undefined ? undefined : `did you mean \`${near}\`?`,
    );
  };

export const OUTCOMES = ['succeeded', 'failed', 'rolledBack', 'failedAnalysis'] as const;
export const KINDS = ['deploy', 'rollback'] as const;
export const REASONS = ['rollback', 'hotfix', 'incident'] as const;

const field = (fieldName: string, required: boolean, read: (raw: string) => Read<string>): Field => ({
  name: fieldName,
  required,
  read,
});

/** The columns of a deployments file, in the order docs/metrics.md lists them. */
export const DEPLOYMENT_FIELDS: readonly Field[] = [
  field('id', true, text(200)),
  field('service', true, name),
  field('environment', true, name),
  field('commitSha', true, sha),
  field('startedAt', true, time),
  field('finishedAt', true, time),
  field('outcome', true, oneOf(OUTCOMES)),
  field('kind', false, oneOf(KINDS)),
  field('unplannedReason', false, oneOf(REASONS)),
  field('artifact', false, text(300)),
];

/** The columns of an incidents file. */
export const INCIDENT_FIELDS: readonly Field[] = [
  field('id', true, text(200)),
  field('service', true, name),
  field('environment', true, name),
  field('title', true, text(500)),
  field('openedAt', true, time),
  field('acknowledgedAt', false, time),
  field('resolvedAt', false, time),
  field('causeDeployment', false, text(200)),
];
