import { editDistance, editDistanceCost } from '../core/edit-distance.js';

/**
 * What suggestions may still spend, in edit-distance cells, shared by every hint of one parse.
 * Names come from the file, so without a budget a thousand misspelt references to a thousand long
 * names would cost a billion cells; spent, a hint lists the names instead of guessing.
 */
export interface SuggestBudget {
  cells: number;
}

/** The cells one parse may spend on suggestions: some tens of milliseconds at most. */
export const SUGGEST_CELLS = 1_000_000;

/** What one comparison costs beyond its cells (lower-casing, the rows): counted against the budget. */
const COMPARISON_CELLS = 16;

/**
 * "Did you mean …?" for typos: the closest candidate by edit distance (a swap of two neighbouring
 * letters counts as one edit, so `stagse` finds `stages`), or nothing when no candidate is close
 * or the budget runs out first.
 */
export function closest(
  word: string,
  candidates: readonly string[],
  budget: SuggestBudget = { cells: SUGGEST_CELLS },
): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (!spend(budget, COMPARISON_CELLS + editDistanceCost(word.length, candidate.length, limit))) break;
    const distance = editDistance(lower, candidate.toLowerCase(), limit);
    // On a tie, a candidate the word starts is the likelier one (`of` → `off`, not `on`).
    const prefers = distance === bestDistance && candidate.toLowerCase().startsWith(lower);
    if (distance < bestDistance || prefers) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (bestDistance <= limit) return best;
  // A shortened name (`prod` for `production`, `stage` for `staging`) is a likely slip even at a
  // larger distance: accept a candidate sharing all but at most the last letter of the shorter one.
  return candidates.find((candidate) => {
    if (!spend(budget, Math.min(word.length, candidate.length) + 1)) return false;
    const other = candidate.toLowerCase();
    const shared = commonPrefix(lower, other);
    return shared >= 3 && shared >= Math.min(lower.length, other.length) - 1;
  });
}

function spend(budget: SuggestBudget, cells: number): boolean {
  if (budget.cells < cells) {
    budget.cells = 0;
    return false;
  }
  budget.cells -= cells;
  return true;
}

function commonPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** `a`, `b` or `c` — for messages listing what is allowed. */
export function listOf(words: readonly string[], conjunction = 'or'): string {
  const quoted = words.map((word) => `\`${word}\``);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} ${conjunction} ${quoted.at(-1)}`;
}

/** The hint for a name that is not one of `known`: the closest one, else the list (`label: a, b`). */
export function didYouMean(
  word: string,
  known: readonly string[],
  label: string,
  budget?: SuggestBudget,
): string {
  const suggestion = closest(word, known, budget);
  if (suggestion !== undefined) return `did you mean \`${suggestion}\`?`;
  if (known.length === 0) return `there are no ${label}`;
  if (known.length > 15) return `see docs/config.md for the ${label}`;
  return `${label}: ${listOf(known, 'and')}`;
}

/** Text from the file as a message quotes it: long values cut (`aaaa…`), so a message stays a line. */
export function shorten(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** How a value from the file reads in a message: `the string "ten"`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return `the string ${JSON.stringify(shorten(value, 40))}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `\`${value}\``;
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}
