import { createHash } from 'node:crypto';
import { z } from 'zod';
import { FlowlineError } from '../core/errors.js';

/**
 * The manifest is the artifact's identity: its sha256 is the digest. It lists every entry in
 * byte-stable form, so the same content gives the same digest on any machine, whatever the
 * files' mtimes, owners or the order the filesystem lists them in:
 *
 * - paths are relative, `/`-separated, sorted by UTF-16 code unit (plain `<`, no locale);
 * - a file records only whether it is executable (`755`) or not (`644`), its size and sha256;
 * - a symbolic link records its target, which must stay inside the folder;
 * - empty folders are not recorded (as in git).
 *
 * The stored file is exactly the hashed text: one entry per line so `cat` reads well.
 */
export const MANIFEST_FORMAT = 'flowline-artifact/1';

export type FileMode = '644' | '755';

export type ManifestEntry =
  | {
      readonly path: string;
      readonly type: 'file';
      readonly mode: FileMode;
      readonly size: number;
      readonly sha256: string;
    }
  | { readonly path: string; readonly type: 'symlink'; readonly target: string };

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly entries: readonly ManifestEntry[];
}

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/** The hex of a well-formed `sha256:<hex>` digest, or undefined. */
export function hexOf(digest: string): string | undefined {
  return DIGEST.exec(digest)?.[1];
}

export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The canonical text of a manifest (entries sorted, keys in a fixed order). */
export function serializeManifest(entries: readonly ManifestEntry[]): string {
  const sorted = [...entries].sort((a, b) => comparePaths(a.path, b.path));
  // Objects are rebuilt so key order is fixed here, not by whoever made the entry.
  const lines = sorted.map((e) =>
    JSON.stringify(
      e.type === 'file'
        ? { path: e.path, type: e.type, mode: e.mode, size: e.size, sha256: e.sha256 }
        : { path: e.path, type: e.type, target: e.target },
    ),
  );
  return `{"format":${JSON.stringify(MANIFEST_FORMAT)},"entries":[\n${lines.join(',\n')}\n]}\n`;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const entrySchema = z.discriminatedUnion('type', [
  z.strictObject({
    path: z.string().min(1),
    type: z.literal('file'),
    mode: z.enum(['644', '755']),
    size: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  z.strictObject({ path: z.string().min(1), type: z.literal('symlink'), target: z.string().min(1) }),
]);
const manifestSchema = z.strictObject({ format: z.literal(MANIFEST_FORMAT), entries: z.array(entrySchema) });

/** Parses a stored manifest; a damaged one is FLOWLINE_ARTIFACT_CORRUPT naming the file. */
export function parseManifest(text: string, file: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw corruptManifest(file, 'is not JSON');
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw corruptManifest(file, 'does not have the manifest shape');
  for (const entry of parsed.data.entries) {
    if (!isSafeRelative(entry.path)) throw corruptManifest(file, `lists an unsafe path ${entry.path}`);
  }
  return parsed.data;
}

/** A relative, normalised, `/`-separated path that stays inside its folder. */
export function isSafeRelative(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

export function totals(manifest: Manifest): { sizeBytes: number; files: number } {
  let sizeBytes = 0;
  for (const e of manifest.entries) if (e.type === 'file') sizeBytes += e.size;
  return { sizeBytes, files: manifest.entries.length };
}

function corruptManifest(file: string, problem: string): FlowlineError {
  return new FlowlineError('FLOWLINE_ARTIFACT_CORRUPT', `The artifact manifest ${file} ${problem}.`, {
    hint: 'Do not deploy this artifact: rebuild it with the pipeline (gc removes this one once nothing uses it).',
  });
}
