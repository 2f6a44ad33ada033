/**
 * flagd's `sem_ver` version parsing and ordering: node-semver's strict `parse` (after flagd strips
 * one leading `v`/`V`), its `coerce` for `1` / `1.2`, and its `compare` (prerelease ordering,
 * build metadata ignored). Anything else is not a version and makes `sem_ver` answer null.
 */

export interface LogicSemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease: readonly (string | number)[];
}

const NUM = '0|[1-9]\\d*';
const PRE_ID = `(?:${NUM}|\\d*[a-zA-Z-][a-zA-Z0-9-]*)`;
const BUILD_ID = '[a-zA-Z0-9-]+';
const FULL = new RegExp(
  `^v?(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+(${BUILD_ID}(?:\\.${BUILD_ID})*))?$`,
);
const COERCE = /(^|[^\d])(\d{1,16})(?:\.(\d{1,16}))?(?:\.(\d{1,16}))?(?:$|[^\d])/;
const MAX_LENGTH = 256;

/** node-semver `parse(text)` (strict). */
function parse(text: string): LogicSemVer | undefined {
  if (text.length > MAX_LENGTH) return undefined;
  const match = FULL.exec(text.trim());
  if (match === null) return undefined;
  const [major, minor, patch] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  if (![major, minor, patch].every((n) => n <= Number.MAX_SAFE_INTEGER)) return undefined;
  const prerelease = match[4] === undefined ? [] : match[4].split('.').map(preId);
  return { major, minor, patch, prerelease };
}

function preId(id: string): string | number {
  if (/^[0-9]+$/.test(id)) {
    const n = Number(id);
    if (n >= 0 && n < Number.MAX_SAFE_INTEGER) return n;
  }
  return id;
}

/** flagd's `normalizeVersion`. */
export function logicVersion(raw: unknown): LogicSemVer | undefined {
  const text = String(raw).replace(/^[vV]/, '');
  const strict = parse(text);
  if (strict !== undefined) return strict;
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  const match = COERCE.exec(text);
  if (match === null) return undefined;
  return parse(`${match[2]}.${match[3] ?? '0'}.${match[4] ?? '0'}`);
}

/** node-semver `compare`. */
export function compareLogicVersions(a: LogicSemVer, b: LogicSemVer): number {
  return (
    sign(a.major - b.major) ||
    sign(a.minor - b.minor) ||
    sign(a.patch - b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

function sign(n: number): number {
  return n === 0 ? 0 : n < 0 ? -1 : 1;
}

function comparePrerelease(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  if (a.length > 0 && b.length === 0) return -1;
  if (a.length === 0 && b.length > 0) return 1;
  for (let i = 0; ; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined && y === undefined) return 0;
    if (y === undefined) return 1;
    if (x === undefined) return -1;
    if (x === y) continue;
    return compareIdentifiers(x, y);
  }
}

function compareIdentifiers(a: string | number, b: string | number): number {
  const anum = /^[0-9]+$/.test(String(a));
  const bnum = /^[0-9]+$/.test(String(b));
  const x = anum && bnum ? +a : a;
  const y = anum && bnum ? +b : b;
  if (x === y) return 0;
  if (anum && !bnum) return -1;
  if (bnum && !anum) return 1;
  return x < y ? -1 : 1;
}
