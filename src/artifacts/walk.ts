import type { Dirent } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { FlowlineError } from '../core/errors.js';

/** One entry of a folder about to be bundled. `rel` is `/`-separated. */
export type SourceEntry =
  | {
      readonly rel: string;
      readonly abs: string;
      readonly kind: 'file';
      readonly size: number;
      readonly executable: boolean;
    }
  | { readonly rel: string; readonly abs: string; readonly kind: 'symlink'; readonly target: string };

/** Folder names never bundled, at any depth. */
const ALWAYS_SKIPPED = new Set(['.git', '.flowline']);

/**
 * Lists what `put` bundles: regular files and symbolic links, sorted by path. Folders named
 * `.git`/`.flowline`, the `skip` folders (the store itself when it lives inside) and `exclude`
 * matches are left out. Links are kept as links when they lead to something inside the folder
 * (checked on the path as written and as resolved, so a chain of links cannot climb out);
 * anything else is refused rather than silently dropped.
 */
export async function scanFolder(
  folder: string,
  options: { exclude?: readonly string[]; skip?: readonly string[] } = {},
): Promise<{ entries: SourceEntry[]; totalBytes: number }> {
  const info = await stat(folder).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw new FlowlineError(
      'FLOWLINE_BUILD_OUTPUT_MISSING',
      `The folder to bundle, ${folder}, ${info === undefined ? 'does not exist' : 'is not a folder'}.`,
      { hint: 'Check `build.output` in flowline.yaml: it names the folder the build writes to.' },
    );
  }
  const excluded = await excludedPaths(folder, options.exclude ?? []);
  const skip = new Set((options.skip ?? []).map((p) => path.resolve(p)));
  const realRoot = await realpath(folder);
  const entries: SourceEntry[] = [];

  const visit = async (dirAbs: string, dirRel: string): Promise<void> => {
    const children: Dirent[] = await readdir(dirAbs, { withFileTypes: true });
    await Promise.all(
      children.map(async (child) => {
        const rel = dirRel === '' ? child.name : `${dirRel}/${child.name}`;
        const abs = path.join(dirAbs, child.name);
        if (child.isDirectory()) {
          if (ALWAYS_SKIPPED.has(child.name) || skip.has(abs) || excluded.dirs.has(rel)) return;
          await visit(abs, rel);
        } else if (excluded.files.has(rel)) {
          return;
        } else if (child.isFile()) {
          const s = await lstat(abs);
          entries.push({ rel, abs, kind: 'file', size: s.size, executable: (s.mode & 0o111) !== 0 });
        } else if (child.isSymbolicLink()) {
          entries.push({ rel, abs, kind: 'symlink', target: await checkLink(realRoot, rel, abs) });
        } else {
          throw unsupported(`${rel} is a socket, pipe or device, which an artifact cannot hold.`);
        }
      }),
    );
  };
  await visit(folder, '');
  entries.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  let totalBytes = 0;
  for (const e of entries) if (e.kind === 'file') totalBytes += e.size;
  return { entries, totalBytes };
}

/** What the exclude globs match; a matched folder is pruned whole. */
async function excludedPaths(
  folder: string,
  exclude: readonly string[],
): Promise<{ dirs: Set<string>; files: Set<string> }> {
  const dirs = new Set<string>();
  const files = new Set<string>();
  if (exclude.length === 0) return { dirs, files };
  const matches = await glob([...exclude], {
    cwd: folder,
    dot: true,
    onlyFiles: false,
    followSymbolicLinks: false,
    expandDirectories: false,
  });
  for (const m of matches) {
    if (m.endsWith('/')) dirs.add(m.slice(0, -1));
    else files.add(m);
  }
  return { dirs, files };
}

async function checkLink(realRoot: string, rel: string, abs: string): Promise<string> {
  const target = await readlink(abs);
  if (path.isAbsolute(target)) {
    throw unsupported(`${rel} is a symbolic link to the absolute path ${target}.`);
  }
  const lexical = path.posix.normalize(
    path.posix.join(path.posix.dirname(rel), target.replaceAll('\\', '/')),
  );
  if (lexical === '..' || lexical.startsWith('../')) {
    throw unsupported(`${rel} is a symbolic link to ${target}, outside the folder.`);
  }
  const resolved = await realpath(abs).catch(() => undefined);
  if (resolved === undefined)
    throw unsupported(`${rel} is a symbolic link to ${target}, which does not exist.`);
  if (resolved !== realRoot && !resolved.startsWith(realRoot + path.sep)) {
    throw unsupported(`${rel} is a symbolic link that resolves to ${resolved}, outside the folder.`);
  }
  return target;
}

function unsupported(message: string): FlowlineError {
  return new FlowlineError('FLOWLINE_ARTIFACT_UNSUPPORTED_FILE', message, {
    hint: 'Copy what it points to into the folder instead, or leave it out with `build.exclude`.',
  });
}
