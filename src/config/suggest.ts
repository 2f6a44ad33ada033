/**
 * "Did you mean …?" for typos: the closest candidate by edit distance (a swap of two neighbouring
 * letters counts as one edit, so `stagse` finds `stages`), or nothing when no candidate is close.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
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
    const other = candidate.toLowerCase();
    const shared = commonPrefix(lower, other);
    return shared >= 3 && shared >= Math.min(lower.length, other.length) - 1;
  });
}

function commonPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = value;
    }
  }
  return at(a.length, b.length);
}

/** `a`, `b` or `c` — for messages listing what is allowed. */
export function listOf(words: readonly string[], conjunction = 'or'): string {
  const quoted = words.map((word) => `\`${word}\``);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} ${conjunction} ${quoted.at(-1)}`;
}

/** The hint for a name that is not one of `known`: the closest one, else the list (`label: a, b`). */
export function didYouMean(word: string, known: readonly string[], label: string): string {
  const suggestion = closest(word, known);
  if (suggestion !== undefined) return `did you mean \`${suggestion}\`?`;
  if (known.length === 0) return `there are no ${label}`;
  if (known.length > 15) return `see docs/config.md for the ${label}`;
  return `${label}: ${listOf(known, 'and')}`;
}

/** How a value from the file reads in a message: `the string "ten"`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `\`${value}\``;
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}
