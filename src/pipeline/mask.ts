import { REDACTED, scrubSecrets } from '../audit/index.js';

/**
 * Masking of secret values in output, one line at a time. A secret is masked as written and in
 * the forms a step is likely to print it in: base64 (standard and URL-safe, at any byte alignment
 * inside a longer encoded value such as `user:secret` in a Basic credential, and cut into lines of
 * 76 or 64 columns as MIME, GNU `base64` and PEM do), hex (lower and upper case) and
 * percent-encoding. Every occurrence of every form is found first and their union replaced, so a
 * secret containing another is masked whole (longest match first, in effect), and neither the
 * order of the secrets nor an overlap between two of them leaves part of one visible.
 * What is not masked is listed in docs/pipeline.md, "Masking".
 */

/** What a masked secret reads as in logs and on the terminal. */
export const MASK = '***';

/**
 * Values shorter than this are not masked: masking `1` or `ab` would garble every line while
 * hiding nothing worth hiding. The same bound applies to each derived form (a 4-character
 * secret's hex is masked, a 3-character fragment of a base64 line is not). docs/pipeline.md says so.
 */
export const MIN_SECRET_LENGTH = 4;

/** Masks one line of output. */
export type Masker = (line: string) => string;

/** Line widths at which encoders wrap base64: MIME and GNU `base64` (76), PEM and `openssl base64` (64). */
const BASE64_WRAP = [76, 64] as const;

/**
 * A masker for the given secret values (the declared secrets' values, a Flowline token): each
 * occurrence of a value or of one of its {@link maskedForms} becomes `***`. Flowline token
 * secrets (`flt_…`) and bearer credentials are masked whatever their source.
 */
export function createMasker(values: Iterable<string | undefined>): Masker {
  const needles = new Set<string>();
  for (const value of values) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH) continue;
    for (const form of maskedForms(value)) needles.add(form);
  }
  const forms = [...needles];
  return (line) => {
    const masked = forms.length === 0 ? line : maskOccurrences(line, forms);
    const scrubbed = scrubSecrets(masked);
    if (scrubbed === masked) return masked;
    // The audit trail's markers, in the log's notation.
    return scrubbed.replaceAll(`flt_${REDACTED}`, MASK).replaceAll(`Bearer ${REDACTED}`, `Bearer ${MASK}`);
  };
}

/**
 * Every string masked for one secret (of at least {@link MIN_SECRET_LENGTH} characters): the
 * value, each line of a multi-line value, and its encoded forms. Encodings are of its UTF-8 bytes.
 */
export function maskedForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const hex = bytes.toString('hex');
  const forms = [
    secret,
    // A secret as it appears on several lines (a PEM key): each of its lines on its own.
    ...secret.split(/\r\n|\r|\n/),
    ...base64Forms(bytes, 'base64'),
    ...base64Forms(bytes, 'base64url'),
    ...wrapped(bytes.toString('base64')),
    ...wrapped(base64Run(bytes, 'base64', 0)),
    hex,
    hex.toUpperCase(),
    ...percentForms(secret),
  ];
  return [...new Set(forms)].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/**
 * The whole encoding, with and without padding, and, for each of the three byte alignments the
 * secret can have inside a longer encoded value, the characters that depend on the secret alone.
 */
function base64Forms(bytes: Buffer, encoding: 'base64' | 'base64url'): string[] {
  const whole = bytes.toString(encoding);
  return [whole, whole.replace(/=+$/, ''), ...[0, 1, 2].map((shift) => base64Run(bytes, encoding, shift))];
}

/**
 * The base64 characters of `bytes` preceded by `shift` other bytes, keeping only characters whose
 * six bits all come from `bytes`: the first ones also carry bits of the bytes before, the last one
 * bits of what follows (or padding).
 */
function base64Run(bytes: Buffer, encoding: 'base64' | 'base64url', shift: number): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString(encoding);
  return encoded.slice(Math.ceil((shift * 4) / 3), Math.floor(((shift + bytes.length) * 4) / 3));
}

/** The lines a wrapping encoder cuts `encoded` into, when it is longer than a line. */
function wrapped(encoded: string): string[] {
  return BASE64_WRAP.flatMap((width) =>
    encoded.length <= width ? [] : (encoded.match(new RegExp(`.{1,${width}}`, 'g')) ?? []),
  );
}

/**
 * Percent-encodings: of a URL component, of a whole URL (which keeps `/?:@&=+$,#`), of a form
 * field (spaces as `+`), each also with lower-case hex digits.
 */
function percentForms(secret: string): string[] {
  let encoded: string[];
  try {
    encoded = [
      encodeURIComponent(secret),
      encodeURI(secret),
      new URLSearchParams({ v: secret }).toString().slice(2),
    ];
  } catch {
    return []; // a lone surrogate cannot be percent-encoded, so it is never printed that way either
  }
  return encoded.flatMap((text) => [text, text.replace(/%[0-9A-F]{2}/g, (percent) => percent.toLowerCase())]);
}

/** Replaces the union of every occurrence of every form with one `***` per contiguous stretch. */
function maskOccurrences(line: string, forms: readonly string[]): string {
  const spans: [number, number][] = [];
  for (const form of forms) {
    for (let at = line.indexOf(form); at !== -1; at = line.indexOf(form, at + 1)) {
      spans.push([at, at + form.length]);
    }
  }
  if (spans.length === 0) return line;
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let cursor = -1; // the end of the stretch masked last; -1 before the first
  for (const [start, end] of spans) {
    if (start > cursor) out += `${line.slice(Math.max(cursor, 0), start)}${MASK}`;
    cursor = Math.max(cursor, end);
  }
  return out + line.slice(cursor);
}
