import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Masker } from './mask.js';

/**
 * Stage logs: `<home>/logs/<runId>/<node>.log`, one line per line of output, each prefixed with
 * its time since the run started (`+12.345s `). Lines are masked before they are written, so a
 * secret never reaches the disk. Writes are synchronous and unbuffered: `flowline logs --follow`
 * in another process sees each line as soon as the step prints it.
 */

/** The folder holding a run's logs. */
export function runLogDir(home: string, runId: string): string {
  return path.join(home, 'logs', runId);
}

export function stageLogPath(home: string, runId: string, node: string): string {
  return path.join(runLogDir(home, runId), `${node}.log`);
}

/** One line of a stored log. */
export interface LogLine {
  /** Milliseconds since the run started. */
  readonly offsetMs: number;
  readonly text: string;
}

const LINE = /^\+(\d+)\.(\d{3})s (.*)$/;

/** Parses a stored line; a line that does not carry the prefix (hand-edited) keeps offset 0. */
export function parseLogLine(raw: string): LogLine {
  const match = LINE.exec(raw);
  if (match === null) return { offsetMs: 0, text: raw };
  return { offsetMs: Number(match[1]) * 1000 + Number(match[2]), text: match[3] ?? '' };
}

export function formatLogLine(offsetMs: number, text: string): string {
  const ms = Math.max(0, Math.round(offsetMs));
  return `+${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}s ${text}`;
}

/**
 * Appends masked lines to one node's log and hands each to `onLine`: the masked text (for live
 * display) and the exact line written to the file, newline included (for a server's copy of
 * the log; undefined once the log is closed).
 */
export class StageLog {
  readonly #fd: number;
  #closed = false;

  constructor(
    readonly file: string,
    private readonly runStartedAt: number,
    private readonly mask: Masker,
    private readonly onLine: (text: string, stored: string | undefined) => void,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.#fd = openSync(file, 'a');
  }

  /** Writes one line of output (masked here). */
  write(line: string): void {
    const text = this.mask(line);
    const stored = this.#closed ? undefined : `${formatLogLine(this.now() - this.runStartedAt, text)}\n`;
    if (stored !== undefined) writeSync(this.#fd, stored);
    this.onLine(text, stored);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}

/**
 * Reads a log file from `offset` (bytes) and returns the whole lines found and the offset after
 * them; a partly written last line waits for the next read. `maxBytes` bounds one read (the API
 * pages through long logs); lines are cut at 64K characters, so a bound of 1 MB always advances.
 */
export async function readLogFrom(
  file: string,
  offset: number,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<{ lines: string[]; offset: number }> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], offset };
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size <= offset) return { lines: [], offset };
    const buffer = Buffer.alloc(Math.min(size - offset, maxBytes));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (end === -1) return { lines: [], offset };
    const text = buffer.subarray(0, end).toString('utf8');
    return { lines: text.split('\n'), offset: offset + end + 1 };
  } finally {
    await handle.close();
  }
}
