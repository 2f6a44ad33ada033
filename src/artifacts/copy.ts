import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';

/** Read size: large enough that per-call overhead vanishes, small enough to keep memory flat. */
const CHUNK = 1024 * 1024;

/** Two buffers per worker: one is hashed and written while the other is being read. */
export interface Buffers {
  readonly a: Buffer;
  readonly b: Buffer;
}

export function newBuffers(): Buffers {
  return { a: Buffer.allocUnsafe(CHUNK), b: Buffer.allocUnsafe(CHUNK) };
}

/**
 * Copies `src` to a new file `dest` and hashes it in the same pass (each byte is read once),
 * then sets the final read-only mode. Not fsynced here: the caller syncs only when the copy is
 * kept (see stage.ts). Reads until end of file rather than trusting an earlier `stat`, so the
 * hash always describes the bytes written.
 */
export async function copyAndHash(
  src: string,
  dest: string,
  mode: number,
  buffers: Buffers,
  onBytes: (n: number) => void,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const input = await open(src, 'r');
  let output: FileHandle | undefined;
  try {
    output = await open(dest, 'wx', 0o600);
    let position = 0;
    let current = buffers.a;
    let n = (await input.read(current, 0, CHUNK, 0)).bytesRead;
    while (n > 0) {
      hash.update(current.subarray(0, n));
      const next = current === buffers.a ? buffers.b : buffers.a;
      // Overlap: write this chunk while the next one is read.
      const [, read] = await Promise.all([
        writeAll(output, current, n, position),
        input.read(next, 0, CHUNK, position + n),
      ]);
      position += n;
      onBytes(n);
      current = next;
      n = read.bytesRead;
    }
    // chmod through the handle: exact modes whatever the umask.
    await output.chmod(mode);
    return { sha256: hash.digest('hex'), size: position };
  } finally {
    await input.close();
    await output?.close();
  }
}

/** sha256 and size of a file, reading the next chunk while hashing the current one. */
export async function hashFile(file: string, buffers: Buffers): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const input = await open(file, 'r');
  try {
    let position = 0;
    let current = buffers.a;
    let n = (await input.read(current, 0, CHUNK, 0)).bytesRead;
    while (n > 0) {
      const next = current === buffers.a ? buffers.b : buffers.a;
      const pending = input.read(next, 0, CHUNK, position + n);
      hash.update(current.subarray(0, n));
      position += n;
      current = next;
      n = (await pending).bytesRead;
    }
    return { sha256: hash.digest('hex'), size: position };
  } finally {
    await input.close();
  }
}

async function writeAll(output: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  let written = 0;
  while (written < length) {
    const { bytesWritten } = await output.write(buffer, written, length - written, position + written);
    written += bytesWritten;
  }
}

/** fsyncs a file or folder (for a folder: the names created in it), so it survives a power cut. */
export async function fsyncPath(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Runs `fn` over `items` with at most `limit` at once; `worker` identifies the slot (for buffers). */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, worker: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const run = async (worker: number) => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item, worker);
      } catch (error) {
        failed = true; // stop the other workers from starting more work
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(limit, items.length) }, (_, i) => run(i)),
  );
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
}
