/**
 * Terminal colour codes in a stage's log, turned into styled text runs. The log is text and
 * stays text: segments are rendered as Preact text nodes (escaped), never as HTML, and every
 * escape sequence other than a colour is dropped.
 */

/** A run of text with the colour and weight in force. */
export interface AnsiSegment {
  readonly text: string;
  /** 0–15: the 8 colours and their bright forms; undefined for the default colour. */
  readonly fg?: number;
  readonly bold?: boolean;
}

// CSI sequences (colours, cursor moves), OSC sequences (titles, links) and lone two-byte escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
const ESCAPE = /\x1b\[([0-?]*)([ -/]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: other control characters are dropped too
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

/** Splits one log line into styled segments; unknown sequences and control characters vanish. */
export function parseAnsi(line: string): AnsiSegment[] {
  const segments: AnsiSegment[] = [];
  let fg: number | undefined;
  let bold = false;
  let last = 0;
  const push = (text: string) => {
    const clean = text.replace(CONTROL, '');
    if (clean === '') return;
    segments.push({ text: clean, ...(fg === undefined ? {} : { fg }), ...(bold ? { bold } : {}) });
  };
  for (const match of line.matchAll(ESCAPE)) {
    push(line.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[3] !== 'm' || match[2] !== '') continue;
    const codes = (match[1] ?? '') === '' ? [0] : (match[1] ?? '').split(';').map(Number);
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i] ?? 0;
      if (code === 0) {
        fg = undefined;
        bold = false;
      } else if (code === 1) bold = true;
      else if (code === 22) bold = false;
      else if (code >= 30 && code <= 37) fg = code - 30;
      else if (code >= 90 && code <= 97) fg = code - 90 + 8;
      else if (code === 39) fg = undefined;
      // 256-colour and RGB forms carry arguments: skip them rather than read them as codes.
      else if (code === 38 || code === 48) i += codes[i + 1] === 5 ? 2 : 4;
    }
  }
  push(line.slice(last));
  return segments;
}

/** The line as plain text: what copying or searching it should see. */
export function stripAnsi(line: string): string {
  return parseAnsi(line)
    .map((s) => s.text)
    .join('');
}
