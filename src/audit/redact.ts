/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

/** Keys whose values are secrets whatever they hold (case-insensitive, anywhere in the key). */
const SECRET_KEY =
  /secret|token|passw(?:or)?d|api[-_]?key|authori[sz]ation|private[-_]?key|credential|cookie/i;

/** A Flowline token secret (`flt_` + base64url) or an HTTP bearer credential, inside any string. */
const FLOWLINE_SECRET = /flt_[A-Za-z0-9_-]{20,}/g;
const BEARER = /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi;

/** True when a key's value must never be written down. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Replaces token secrets and bearer credentials inside a string, keeping the text around them. */
export function scrubSecrets(text: string): string {
  // Bearer first: its credential may itself be a Flowline secret.
  return text.replace(BEARER, `Bearer ${REDACTED}`).replace(FLOWLINE_SECRET, `flt_${REDACTED}`);
}

/**
 * A deep copy of a JSON value with secrets removed: values under secret-looking keys become
 * `[redacted]` (whole objects and arrays too), and token secrets or bearer credentials inside any
 * other string are cut out. Input must already be plain JSON (see {@link toPlainJson}).
 */
export function redactSecrets(value: unknown): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = isSecretKey(key) ? REDACTED : redactSecrets(v);
    return out;
  }
  return value;
}

/**
 * The value as it will read back from the database: a JSON round trip (dates become strings,
 * `undefined` disappears, bigints become strings). Hashing this form means an event verifies
 * the same after it was stored. Throws on cycles.
 */
export function toPlainJson(value: unknown): unknown {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return text === undefined ? null : JSON.parse(text);
}
