import { editDistance } from '../../core/edit-distance.js';

/** "Did you mean …?" for names: the closest known name within a small edit distance. */
export function suggest(name: string, known: readonly string[], what: string): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    // A candidate that extends the name wins a tie (`of` → `off` rather than `on`).
    const distance =
      editDistance(name.toLowerCase(), candidate.toLowerCase(), Math.ceil(bestDistance)) -
      (candidate.startsWith(name) ? 0.5 : 0);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined) return `did you mean \`${best}\`?`;
  if (known.length === 0) return `there are no ${what}`;
  const listed = known.slice(0, 8).map((k) => `\`${k}\``);
  return `${what}: ${listed.join(', ')}${known.length > 8 ? ', …' : ''}`;
}
