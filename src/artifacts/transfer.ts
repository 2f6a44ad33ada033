import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { create, extract, type ReadEntry } from 'tar';
import { FlowlineError, isFlowlineError } from '../core/errors.js';
import { type Buffers, forEachLimit, hashFile, newBuffers } from './copy.js';
import {
  isSafeRelative,
  type Manifest,
  type ManifestEntry,
  serializeManifest,
  sha256Hex,
} from './manifest.js';
import type { Staged } from './stage.js';
import { scanFolder } from './walk.js';

/**
 * Moving artifacts between stores (a CI machine and a server) as a tar stream. The archive holds
 * only the artifact's files and links, never its manifest: the receiving side rebuilds the
 * manifest from what arrived and accepts the bundle only when that hashes to the digest the
 * sender claims. A corrupted, truncated or tampered transfer therefore cannot be stored.
 */

/** The media type of the transfer format. */
export const ARTIFACT_MEDIA_TYPE = 'application/x-tar';

const CONCURRENCY = 4;
/** Folders `put` never bundles; an archive holding one is not an artifact. */
const NEVER_BUNDLED = new Set(['.git', '.flowline']);

/**
 * A tar stream of a stored artifact's entries in manifest order. `portable` leaves out owners and
 * times, which the digest does not cover. Each path is given as `./path` so a name starting with
 * `@` is not read as "append this archive".
 */
export function packArtifact(dir: string, manifest: Manifest): Readable {
  const paths = manifest.entries.map((e) => `./${e.path}`);
  return Readable.from(create({ cwd: dir, portable: true, noDirRecurse: true, follow: false }, paths));
}

/**
 * Extracts a tar stream into `<staging>/files`, hashes what arrived and checks it against `hex`.
 * Refuses (FLOWLINE_ARTIFACT_UPLOAD_REJECTED) entries an artifact cannot hold (hard links,
 * devices, folders of their own, unsafe paths), more than `maxBytes`, and content whose manifest
 * does not hash to `hex`. On success the staged files are read-only and ready to commit.
 */
export async function receiveArtifact(
  source: Readable,
  staging: string,
  hex: string,
  maxBytes: number,
): Promise<Staged> {
  const dest = path.join(staging, 'files');
  await mkdir(dest);
  const refused: string[] = [];
  let received = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (received > maxBytes) done(tooLarge(maxBytes));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(
      source,
      limit,
      extract({
        cwd: dest,
        strict: true,
        filter: (entryPath: string, entry: ReadEntry | unknown) => {
          const e = entry as ReadEntry;
          const rel = entryPath.replace(/^(\.\/)+/, '');
          const problem = entryProblem(rel, e.type);
          if (problem !== undefined) {
            refused.push(problem);
            return false;
          }
          // Modes are normalised: only "executable or not" is part of the digest.
          e.mode = (e.mode ?? 0) & 0o111 ? 0o755 : 0o644;
          return true;
        },
      }),
    );
  } catch (error) {
    if (isFlowlineError(error)) throw error;
    throw rejected(`the archive could not be read (${(error as Error).message})`, error);
  }
  if (refused.length > 0) throw rejected(refused[0] ?? 'it holds entries an artifact cannot');

  const { entries } = await scanFolder(dest).catch((error: unknown) => {
    if (isFlowlineError(error) && error.code === 'FLOWLINE_BUILD_OUTPUT_MISSING') {
      throw rejected('the archive holds no files');
    }
    if (isFlowlineError(error)) throw rejected(error.message);
    throw error;
  });
  if (entries.length === 0) throw rejected('the archive holds no files');
  const manifest: ManifestEntry[] = [];
  const files: string[] = [];
  const buffers: Buffers[] = [];
  await forEachLimit(entries, CONCURRENCY, async (e, worker) => {
    if (e.kind === 'symlink') {
      manifest.push({ path: e.rel, type: 'symlink', target: e.target });
      return;
    }
    buffers[worker] ??= newBuffers();
    const { sha256, size } = await hashFile(e.abs, buffers[worker]);
    await chmod(e.abs, e.executable ? 0o555 : 0o444);
    files.push(e.abs);
    manifest.push({ path: e.rel, type: 'file', mode: e.executable ? '755' : '644', size, sha256 });
  });
  const actual = sha256Hex(serializeManifest(manifest));
  if (actual !== hex) {
    throw rejected(
      `its files hash to sha256:${actual}, not to the digest it claims (the transfer was corrupted or truncated, or the files were changed)`,
    );
  }
  const dirs = new Set<string>(['']);
  for (const e of entries) {
    for (let d = path.posix.dirname(e.rel); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
  }
  const deepestFirst = [...dirs]
    .sort()
    .reverse()
    .map((d) => path.join(dest, d));
  // As in stage(): the top folder stays writable until it is committed.
  for (const dir of deepestFirst.slice(0, -1)) await chmod(dir, 0o555);
  return { root: staging, manifest, files, dirs: deepestFirst };
}

/** Why an archive entry cannot be part of an artifact, or undefined when it can. */
function entryProblem(rel: string, type: string): string | undefined {
  if (type === 'Directory') return folderProblem(rel);
  if (type !== 'File' && type !== 'OldFile' && type !== 'ContiguousFile' && type !== 'SymbolicLink') {
    return `${rel} is a ${type} entry, which an artifact cannot hold`;
  }
  if (!isSafeRelative(rel)) return `${rel} is not a safe relative path`;
  if (rel.split('/').some((part) => NEVER_BUNDLED.has(part)))
    return `${rel} lies in a folder artifacts never hold`;
  return undefined;
}

/** Folders are implied by the paths of their files; only the archive's root may appear. */
function folderProblem(rel: string): string | undefined {
  const name = rel.replace(/\/+$/, '');
  return name === '' || name === '.'
    ? undefined
    : `${name}/ is a folder entry; artifacts list only files and links`;
}

function rejected(why: string, cause?: unknown): FlowlineError {
  return new FlowlineError(
    'FLOWLINE_ARTIFACT_UPLOAD_REJECTED',
    `The artifact was refused: ${why}. Nothing was stored.`,
    {
      hint: 'Send it again; if it keeps failing, check the sending copy with `flowline artifacts verify <digest>` and rebuild with `flowline run --no-cache`.',
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

function tooLarge(maxBytes: number): FlowlineError {
  return new FlowlineError(
    'FLOWLINE_REQUEST_TOO_LARGE',
    `The artifact archive is larger than the ${Math.round(maxBytes / 1_000_000)} MB this store accepts; nothing was stored.`,
    { hint: 'Leave build tools and caches out of `build.output` (see `build.exclude`).' },
  );
}
