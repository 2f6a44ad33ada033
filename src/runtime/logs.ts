import { type FileHandle, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { createMasker } from '../pipeline/index.js';

/**
 * Instance log files. Each instance appends stdout and stderr to `<logDir>/<id>.log` through file
 * descriptors handed to the child, so logging does not depend on Flowline staying alive.
 * Flowline writes one marker line before each spawn; a log tail starts after it, so an error
 * shows the output of the failing process, not of an earlier one.
 */

/**
 * Opens the log for appending, writes the marker, and returns the handle (the child gets a
 * duplicate of its descriptor; close it after spawning) and the offset after the marker.
 */
export async function openInstanceLog(
  file: string,
  marker: string,
): Promise<{ handle: FileHandle; offset: number }> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, 'a');
  try {
    await handle.write(`--- flowline: ${marker} ---\n`);
    const { size } = await handle.stat();
    return { handle, offset: size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The last `lines` lines written after `offset`, masked as stage logs are (each secret value and
 * its encoded forms become `***`, see src/pipeline/mask.ts), so they can go into an error message.
 */
export async function logTail(
  file: string,
  offset: number,
  secrets: readonly string[] = [],
  lines = 10,
): Promise<string[]> {
  const maxBytes = 8192;
  let text: string;
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const start = Math.max(offset, size - maxBytes);
      const buffer = Buffer.alloc(Math.max(0, size - start));
      await handle.read(buffer, 0, buffer.length, start);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
  const all = text.split('\n').filter((line) => line.trim() !== '');
  return all.slice(-lines).map(createMasker(secrets));
}
