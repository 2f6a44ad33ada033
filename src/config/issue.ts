/** The shape of a config problem before it is tied to a file: below source.ts and all that reads it. */

/** A field path: keys and list indexes. */
export type PathSegment = string | number;

export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * A hint that costs something to write ("did you mean" compares names): written only for the
 * problems reported, with what the parse may still spend (see suggest.ts).
 */
export type LazyHint = (budget: { cells: number }) => string;

/** A problem before it is tied to a file: positions come from the path (or are known already). */
export interface RawIssue {
  readonly code: string;
  readonly message: string;
  readonly path: readonly PathSegment[];
  readonly hint?: string | LazyHint;
  /** Point at the key of the last path segment instead of its value (unknown keys, bad names). */
  readonly at?: 'key' | 'value';
  readonly position?: Position;
}
