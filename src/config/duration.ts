/**
 * Durations in flowline.yaml are strings with units (`500ms`, `30s`, `10m`, `72h`, `7d`, `1h30m`);
 * the normalized config holds milliseconds. Bare numbers are refused on purpose: `timeout: 30`
 * could mean seconds (Argo) or milliseconds (Node), and a wrong guess is a silent bug.
 */

/** The accepted syntax, also published as the JSON Schema `pattern` of every duration field. */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses `1h30m` to 5_400_000. Returns undefined for anything that is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    const [, amount = '0', unit = 'ms'] = match;
    total += Number(amount) * (UNIT_MS[unit] ?? 1);
  }
  return Math.round(total);
}
