/**
 * A small semantic version parser and comparator (semver 2.0 precedence), lenient like flagd:
 * a leading `v`/`V` is dropped and `1` or `1.2` read as `1.0.0` / `1.2.0`. Build metadata is
 * ignored. Numbers in the context compare as their text (`2` is `2.0.0`).
 */

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Pre-release identifiers: numbers for numeric ones. Empty for a release. */
  readonly pre: readonly (string | number)[];
}

const FULL =
  /^[vV]?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const PARTIAL = /^[vV]?(\d+)(?:\.(\d+))?$/;
const NUMERIC = /^\d+$/;

/** Parses a version (text or number); undefined when it is not one. */
export function parseSemVer(input: unknown): SemVer | undefined {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (typeof input === 'number' && Number.isFinite(input)) text = String(input);
  else return undefined;
  if (text.length > 256) return undefined;
  const full = FULL.exec(text);
  if (full !== null) {
    const pre = full[4];
    return {
      major: Number(full[1]),
      minor: Number(full[2]),
      patch: Number(full[3]),
      pre: pre === undefined ? [] : pre.split('.').map((id) => (NUMERIC.test(id) ? Number(id) : id)),
    };
  }
  const partial = PARTIAL.exec(text);
  if (partial === null) return undefined;
  return { major: Number(partial[1]), minor: Number(partial[2] ?? 0), patch: 0, pre: [] };
}

/** Negative, zero or positive as `a` precedes, equals or follows `b`. */
export function compareSemVer(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  const x = a.pre;
  const y = b.pre;
  if (x.length === 0 || y.length === 0) return y.length - x.length; // a release follows its pre-releases
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = x[i] as string | number;
    const q = y[i] as string | number;
    if (p === q) continue;
    if (typeof p === 'number' && typeof q === 'number') return p < q ? -1 : 1;
    if (typeof p === 'number') return -1; // numeric identifiers precede alphanumeric ones
    if (typeof q === 'number') return 1;
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}
