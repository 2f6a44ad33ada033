import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * What `flowline init` reads from an app's sources rather than assume: the path of its health
 * endpoint. A health check on a path the app does not serve would fail every deploy, so init sets
 * one only when the sources name it, and otherwise says that none was found.
 */

/** Health endpoint paths, most specific first: the first one any source file names is chosen. */
export const HEALTH_PATHS = ['/healthz', '/health', '/livez', '/readyz', '/ready', '/ping'] as const;

const SOURCE = /\.(?:[cm]?[jt]sx?|py|go|rb|java|kt|rs|php|cs|exs?)$/;
const SKIPPED = new Set([
  'node_modules',
  '.git',
  '.flowline',
  'dist',
  'build',
  'coverage',
  'vendor',
  'target',
]);
const MAX_FILES = 2000;
const MAX_BYTES = 512 * 1024;

export interface HealthPathFound {
  readonly path: (typeof HEALTH_PATHS)[number];
  /** The first file (relative, `/`-separated) that names it. */
  readonly file: string;
}

/**
 * The health path the app's source files name as a string literal (`'/healthz'`, `"/health"`),
 * searched below `dir` without dependencies and build output; undefined when none does.
 */
export async function findHealthPath(dir: string): Promise<HealthPathFound | undefined> {
  const found = new Map<string, string>();
  for (const file of await sourceFiles(dir)) {
    const size = (await stat(file).catch(() => undefined))?.size ?? MAX_BYTES + 1;
    if (size > MAX_BYTES) continue;
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const candidate of HEALTH_PATHS) {
      if (found.has(candidate)) continue;
      // A quoted path, possibly followed by a query: `'/healthz'`, `"/health?full=1"`.
      if (new RegExp(`["'\`]${candidate}["'\`?]`).test(text)) {
        found.set(candidate, path.relative(dir, file).split(path.sep).join('/'));
      }
    }
  }
  for (const candidate of HEALTH_PATHS) {
    const file = found.get(candidate);
    if (file !== undefined) return { path: candidate, file };
  }
  return undefined;
}

/** Source files below `dir` (tests left out) in a stable order, at most {@link MAX_FILES}. */
async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    const entries: Dirent[] = await readdir(folder, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (files.length >= MAX_FILES) return;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory() && !SKIPPED.has(entry.name)) await walk(full);
      else if (entry.isFile() && SOURCE.test(entry.name) && !/\.(?:test|spec)\./.test(entry.name))
        files.push(full);
    }
  };
  await walk(dir);
  return files;
}
