/**
 * The limits that keep reading a flowline.yaml linear in its size. The text can come from anyone
 * holding a read token (`POST /v1/config/validate`), so each stage's work is bounded by the input,
 * never by its square: a file of any shape is read or refused in one pass (see
 * test/security/config-fuzz.test.ts and bench/config-parse.js).
 *
 * A real flowline.yaml is a few kilobytes, nests under 10 levels, and uses a handful of aliases;
 * every limit is far above that and far below what would hurt the server.
 */

/** The code of issues refused by a limit rather than by a mistake (one catalogue code for all). */
export const TOO_LARGE = 'FLOWLINE_CONFIG_TOO_LARGE';

/** The largest file read, in bytes of UTF-8. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The deepest nesting of mappings and lists, aliases included. The YAML library builds its tree
 * recursively: a few thousand levels exhaust the stack, so depth is checked before it runs.
 */
export const MAX_DEPTH = 64;

/**
 * How many values aliases may add to the document, counted as every value an alias repeats
 * (`*defaults` of a 20-value mapping adds 20). Shared values are walked again by every later
 * stage, so this is what stops an alias bomb (`&a [*b, *b, …]` nested) from growing exponentially.
 */
export const MAX_ALIAS_VALUES = 10_000;

/** Problems reported per file (errors and warnings each); the rest are counted, not described. */
export const MAX_REPORTED = 100;

/**
 * YAML problems described before the rest are only counted: enough to fill the report after
 * repeats are dropped. A file of broken lines has half a million, each an object to build and sort.
 */
export const MAX_DESCRIBED = 2 * MAX_REPORTED;

/**
 * Counts the work a parse did, so a test can bound its cost by the input size without a clock:
 * syntax tokens checked, values built (aliases counted as the values they repeat), path steps
 * taken to locate problems, problems produced, and edit-distance cells spent on suggestions.
 */
export interface WorkMeter {
  units: number;
}
