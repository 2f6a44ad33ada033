import { StringDecoder } from 'node:string_decoder';

/** A line longer than this is cut and emitted in pieces, so a step without newlines cannot fill memory. */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Turns a byte stream into whole lines. Masking works on whole lines, so a secret split across
 * two chunks of output is still found; multi-byte characters split across chunks are decoded
 * whole too. Carriage returns (progress bars) end a line like newlines do.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #breaks: RegExp;
  readonly #maxChars: number;
  #partial = '';

  /**
   * `newlinesOnly` and a larger `maxChars` re-split a stored log (whose lines already carry a
   * prefix and may hold a carriage return) without changing a byte of it.
   */
  constructor(
    readonly onLine: (line: string) => void,
    options: { readonly newlinesOnly?: boolean; readonly maxChars?: number } = {},
  ) {
    this.#breaks = options.newlinesOnly === true ? /\n/ : /\r\n|\r|\n/;
    this.#maxChars = options.maxChars ?? MAX_LINE_CHARS;
  }

  write(chunk: Buffer | string): void {
    const text = this.#partial + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    const parts = text.split(this.#breaks);
    this.#partial = parts.pop() ?? '';
    for (const line of parts) this.onLine(line);
    while (this.#partial.length > this.#maxChars) {
      this.onLine(this.#partial.slice(0, this.#maxChars));
      this.#partial = this.#partial.slice(this.#maxChars);
    }
  }

  /** Emits the last line when the output did not end with a newline. */
  end(): void {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = '';
    if (rest !== '') this.onLine(rest);
  }
}
