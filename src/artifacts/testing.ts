import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { removeTree } from './layout.js';

/** A file to create: its content, or content with a mode, or a symbolic link. */
export type TreeEntry = string | Buffer | { content: string | Buffer; mode: number } | { link: string };

/** Creates files (and their folders) under `dir`, in the order given. */
export async function makeTree(dir: string, tree: Record<string, TreeEntry>): Promise<void> {
  for (const [rel, entry] of Object.entries(tree)) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    if (typeof entry === 'object' && 'link' in entry) await symlink(entry.link, file);
    else if (typeof entry === 'object' && 'content' in entry) {
      await writeFile(file, entry.content);
      await chmod(file, entry.mode);
    } else await writeFile(file, entry);
  }
}

/** A fresh temp folder and its removal (read-only artifact folders included). */
export async function tempDir(
  prefix = 'flowline-artifacts-',
): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return {
    dir,
    async cleanup() {
      await removeTree(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
