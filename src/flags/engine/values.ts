/**
 * Reading attributes from an evaluation context, and the type rules every operator shares:
 * only own properties count (`__proto__`, `constructor` and getters on prototypes read as
 * missing), and a value of the wrong type reads as missing.
 */

export type Context = Readonly<Record<string, unknown>>;
export type Getter = (context: Context, now: number) => unknown;

/** The attribute name that reads the evaluation time (epoch ms). */
export const NOW_ATTRIBUTE = '$now';

const hasOwn = Object.hasOwn;

/**
 * Compiles an attribute name into a reader. A name with dots reads the flat key when the context
 * has it, else walks nested objects (`user.plan` reads `{ user: { plan } }`).
 */
export function attributeGetter(name: string): Getter {
  if (name === NOW_ATTRIBUTE) return (_context, now) => now;
  if (!name.includes('.')) return (context) => (hasOwn(context, name) ? context[name] : undefined);
  const parts = name.split('.');
  return (context) => {
    if (hasOwn(context, name)) return context[name];
    let value: unknown = context;
    for (const part of parts) {
      if (typeof value !== 'object' || value === null || !hasOwn(value, part)) return undefined;
      value = (value as Record<string, unknown>)[part];
    }
    return value;
  };
}

/** The text a value is compared as: strings as they are, finite numbers and booleans as written. */
export function canonical(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return undefined;
  }
}

/** A number, or a string that is one (`"42"`, `" 1.5 "`); anything else is missing. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.length > 64 || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

// ISO 8601 dates and times only: other formats parse differently between JavaScript engines.
const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Epoch ms from a number (already ms), a Date, or an ISO 8601 string. A time without a zone is
 * read as UTC, so the answer does not depend on the machine's time zone.
 */
export function toTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value instanceof Date) {
    const time = value.getTime();
    return Number.isNaN(time) ? undefined : time;
  }
  if (typeof value !== 'string' || value.length > 40) return undefined;
  const match = ISO.exec(value);
  if (match === null) return undefined;
  const [, date, clock, zone] = match;
  let text = date as string;
  if (clock !== undefined) {
    const offset =
      zone === undefined ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
    text += `T${clock}${offset.toUpperCase()}`;
  }
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

/** What a split hashes: a non-empty string or a finite number (as text). */
export function bucketText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
