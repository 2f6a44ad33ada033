/** "Did you mean …?" for names: the closest known name within a small edit distance. */
export function suggest(name: string, known: readonly string[], what: string): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    // A candidate that extends the name wins a tie (`of` → `off` rather than `on`).
    const distance =
      editDistance(name.toLowerCase(), candidate.toLowerCase()) - (candidate.startsWith(name) ? 0.5 : 0);
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

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Math.abs(a.length - b.length);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
