import { REDACTED, scrubSecrets } from '../audit/index.js';

/** What a masked secret reads as in logs and on the terminal. */
export const MASK = '***';

/**
 * Values shorter than this are not masked: masking `1` or `ab` would garble every line while
 * hiding nothing worth hiding. docs/pipeline.md says so.
 */
export const MIN_SECRET_LENGTH = 4;

/** Masks one line of output. */
export type Masker = (line: string) => string;

/**
 * A masker for the given secret values (the declared secrets' values, a Flowline token):
 * each occurrence becomes `***`, longest first so a secret containing another is masked whole.
 * Flowline token secrets (`flt_…`) and bearer credentials are masked whatever their source.
 */
export function createMasker(values: Iterable<string | undefined>): Masker {
  const secrets = [
    ...new Set([...values].filter((v): v is string => v !== undefined && v.length >= MIN_SECRET_LENGTH)),
  ]
    // A secret as it appears on several lines: mask each of its lines too.
    .flatMap((value) => [value, ...value.split(/\r?\n/).filter((part) => part.length >= MIN_SECRET_LENGTH)])
    .sort((a, b) => b.length - a.length);
  const pattern = secrets.length === 0 ? undefined : new RegExp(secrets.map(escapeRegExp).join('|'), 'g');
  return (line) => {
    const masked = pattern === undefined ? line : line.replace(pattern, MASK);
    const scrubbed = scrubSecrets(masked);
    if (scrubbed === masked) return masked;
    // The audit trail's markers, in the log's notation.
    return scrubbed.replaceAll(`flt_${REDACTED}`, MASK).replaceAll(`Bearer ${REDACTED}`, `Bearer ${MASK}`);
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
