import { createWriteStream } from 'node:fs';
import { appendFile, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FlowlineError } from '../core/errors.js';
import { counted } from '../core/plural.js';
import { LineSplitter, MAX_LINE_CHARS } from './lines.js';
import type { Masker } from './mask.js';

/**
 * Stage logs as a server stores them for runs executed elsewhere: appended batch by batch while
 * the stage runs, or replaced whole. Either way the stored bytes are the runner's local log file,
 * byte for byte, once tokens are masked again (a no-op on what a runner already masked).
 */

/** The largest stage log kept; the rest is cut with a note (the runner keeps the whole log). */
export const MAX_LOG_BYTES = 64 * 1024 * 1024;

/** The largest batch of lines one append takes (a runner sends ~64 KB). */
export const MAX_BATCH_BYTES = 1024 * 1024;

/** A stored line is its prefix and at most MAX_LINE_CHARS of output: never cut one shorter. */
const MAX_STORED_LINE_CHARS = 2 * MAX_LINE_CHARS;

const CUT_NOTE = `+0.000s # the log was cut at ${MAX_LOG_BYTES / 1024 / 1024} MB on the server\n`;

export interface LogFiles {
  /** Replaces a log with the lines streamed in (written aside, then renamed into place). */
  replace(file: string, source: Readable): Promise<{ bytes: number }>;
  /**
   * Appends whole lines at `offset`, the log's size as the runner last heard it. A batch the log
   * already holds (a retry whose answer was lost), wholly or in part, is not written twice; a
   * batch past the end (a gap) or one that disagrees with the stored bytes is refused with
   * FLOWLINE_LOG_OFFSET. Resolves with the offset to send the next batch at.
   */
  append(file: string, offset: number, source: Readable): Promise<{ offset: number }>;
}

/** `scrub` masks tokens in each line once more; appends and replaces of one file run one at a time. */
export function createLogFiles(scrub: Masker): LogFiles {
  const busy = new Map<string, Promise<unknown>>();
  const exclusive = <T>(file: string, body: () => Promise<T>): Promise<T> => {
    const previous = busy.get(file) ?? Promise.resolve();
    const next = previous.then(body, body);
    const settled = next.catch(() => undefined);
    busy.set(file, settled);
    void settled.then(() => {
      if (busy.get(file) === settled) busy.delete(file);
    });
    return next;
  };

  return {
    async replace(file, source) {
      await mkdir(path.dirname(file), { recursive: true });
      const partial = `${file}.${process.pid}.part`;
      const out = createWriteStream(partial, { mode: 0o600 });
      let bytes = 0;
      let cut = false;
      const splitter = new LineSplitter(
        (line) => {
          if (cut) return;
          const text = `${scrub(line)}\n`;
          bytes += Buffer.byteLength(text);
          if (bytes > MAX_LOG_BYTES) {
            cut = true;
            out.write(CUT_NOTE);
          } else out.write(text);
        },
        { newlinesOnly: true, maxChars: MAX_STORED_LINE_CHARS },
      );
      try {
        await pipeline(source, async (chunks: AsyncIterable<Buffer>) => {
          for await (const chunk of chunks) splitter.write(chunk);
          splitter.end();
          await new Promise<void>((resolve, reject) =>
            out.end((error?: Error | null) => (error ? reject(error) : resolve())),
          );
        });
        await exclusive(file, () => rename(partial, file));
      } catch (error) {
        out.destroy();
        await rm(partial, { force: true });
        throw error;
      }
      return { bytes };
    },

    async append(file, offset, source) {
      const text = (await readBatch(source)).toString('utf8');
      if (text !== '' && !text.endsWith('\n')) {
        throw new FlowlineError('FLOWLINE_REQUEST_INVALID', 'A log batch must end with a newline.', {
          hint: 'Send whole lines, each ending in \\n, as the stage log holds them.',
        });
      }
      const lines = text === '' ? [] : text.slice(0, -1).split('\n');
      const batch = Buffer.from(lines.map((line) => `${scrub(line)}\n`).join(''));
      await mkdir(path.dirname(file), { recursive: true });
      return exclusive(file, () => appendAt(file, offset, batch));
    },
  };
}

async function appendAt(file: string, offset: number, batch: Buffer): Promise<{ offset: number }> {
  const handle = await open(file, 'a+', 0o600);
  try {
    const { size } = await handle.stat();
    if (offset > size) {
      throw new FlowlineError(
        'FLOWLINE_LOG_OFFSET',
        `The batch starts at byte ${offset} of ${path.basename(file)}, but the server holds ${counted(size, 'byte')}: ${counted(offset - size, 'byte')} ${offset - size === 1 ? 'is' : 'are'} missing.`,
        { hint: `Send the missing lines first, from offset ${size}.` },
      );
    }
    // The log may hold this batch already, wholly or in part (a retry): keep what matches.
    const held = Math.min(size - offset, batch.length);
    if (held > 0) {
      const stored = Buffer.alloc(held);
      await handle.read(stored, 0, held, offset);
      if (!stored.equals(batch.subarray(0, held))) {
        if (await endsCut(handle, size)) return { offset: size };
        throw new FlowlineError(
          'FLOWLINE_LOG_OFFSET',
          `The batch at byte ${offset} of ${path.basename(file)} differs from what the server holds there.`,
          { hint: `Send new lines at offset ${size}, or upload the whole log with PUT.` },
        );
      }
    }
    const rest = batch.subarray(held);
    if (rest.length === 0) return { offset: offset + batch.length };
    if (size + rest.length > MAX_LOG_BYTES) {
      if (!(await endsCut(handle, size))) await appendFile(handle, CUT_NOTE);
      return { offset: (await handle.stat()).size };
    }
    await appendFile(handle, rest);
    return { offset: offset + batch.length };
  } finally {
    await handle.close();
  }
}

/** Whether the log was cut at MAX_LOG_BYTES: later lines are dropped, not refused. */
async function endsCut(handle: Awaited<ReturnType<typeof open>>, size: number): Promise<boolean> {
  const length = Buffer.byteLength(CUT_NOTE);
  if (size < length) return false;
  const tail = Buffer.alloc(length);
  await handle.read(tail, 0, length, size - length);
  return tail.toString('utf8') === CUT_NOTE;
}

/** The request body, refused past MAX_BATCH_BYTES rather than held in memory. */
async function readBatch(source: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const data of source as AsyncIterable<Buffer | string>) {
    const chunk = Buffer.from(data);
    length += chunk.length;
    if (length > MAX_BATCH_BYTES) {
      source.destroy();
      throw new FlowlineError(
        'FLOWLINE_REQUEST_TOO_LARGE',
        `A log batch may hold ${MAX_BATCH_BYTES / 1024 / 1024} MiB at most.`,
        { hint: 'Send longer logs in several batches.' },
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
