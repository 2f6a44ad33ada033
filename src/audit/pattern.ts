/**
 * How the audit filters `action` and `target` match (`flowline audit --action`, `GET /v1/audit`):
 * text without `*` is a prefix, as it always was (`token` matches `token.create` and
 * `tokens.purge`); text with `*` is a glob over the whole value, `*` standing for any run of
 * characters (`env.*`, `*.fail`, `flag.trigger.*`). Both are case-sensitive.
 */
export interface TextPattern {
  /** What every match starts with (the text before the first `*`): the query filters on it. */
  readonly prefix: string;
  /** For a glob, the test of the whole value that rows with that prefix must pass too. */
  readonly whole?: RegExp;
}

export function textPattern(text: string): TextPattern {
  const star = text.indexOf('*');
  if (star < 0) return { prefix: text };
  const body = text
    .split('*')
    .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
    .join('[^]*');
  return { prefix: text.slice(0, star), whole: new RegExp(`^${body}$`) };
}

/** Whether `value` matches; an absent pattern matches everything. */
export function matchesPattern(pattern: TextPattern | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  return pattern.whole === undefined ? value.startsWith(pattern.prefix) : pattern.whole.test(value);
}
