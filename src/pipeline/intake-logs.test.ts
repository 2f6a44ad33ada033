import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogFiles, MAX_BATCH_BYTES } from './intake-logs.js';
import { MAX_LINE_CHARS } from './lines.js';
import { createMasker } from './mask.js';

let dir: string;
let file: string;
const logs = createLogFiles(createMasker([]));
const body = (text: string | Buffer) => Readable.from([Buffer.from(text)]);
const append = (offset: number, text: string) => logs.append(file, offset, body(text));

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-intake-logs-'));
  file = path.join(dir, 'logs', 'unit.log');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('appending log batches at an offset', () => {
  it('appends batches in order and answers the offset of the next one', async () => {
    const first = '+0.010s compiling\n';
    expect(await append(0, first)).toEqual({ offset: Buffer.byteLength(first) });
    expect(await append(Buffer.byteLength(first), '+0.020s héllo ✓\n')).toEqual({
      offset: Buffer.byteLength(first) + Buffer.byteLength('+0.020s héllo ✓\n'),
    });
    expect(await readFile(file, 'utf8')).toBe('+0.010s compiling\n+0.020s héllo ✓\n');
  });

  it('does not write a retried batch twice', async () => {
    const { offset } = await append(0, '+0.001s a\n+0.002s b\n');
    expect(await append(0, '+0.001s a\n+0.002s b\n')).toEqual({ offset });
    expect(await append(offset, '+0.003s c\n')).toEqual({ offset: offset + 10 });
    expect(await readFile(file, 'utf8')).toBe('+0.001s a\n+0.002s b\n+0.003s c\n');
  });

  it('writes only the missing part of a batch the log holds in part', async () => {
    // The stored log already ends with the first half of the next batch.
    await logs.replace(file, body('+0.001s a\n+0.002s b\n'));
    expect(await append(10, '+0.002s b\n+0.003s c\n')).toEqual({ offset: 30 });
    expect(await readFile(file, 'utf8')).toBe('+0.001s a\n+0.002s b\n+0.003s c\n');
  });

  it('refuses a batch past the end of the log, saying how many bytes are missing', async () => {
    await append(0, '+0.001s a\n');
    await expect(append(25, '+0.009s z\n')).rejects.toMatchObject({
      code: 'FLOWLINE_LOG_OFFSET',
      message: expect.stringContaining('15 bytes are missing'),
    });
    expect(await readFile(file, 'utf8')).toBe('+0.001s a\n');
  });

  it('refuses a batch that disagrees with the bytes stored at its offset', async () => {
    await append(0, '+0.001s a\n');
    await expect(append(0, '+0.001s b\n')).rejects.toMatchObject({ code: 'FLOWLINE_LOG_OFFSET' });
  });

  it('refuses partial lines and oversized batches', async () => {
    await expect(append(0, '+0.001s no newline')).rejects.toMatchObject({ code: 'FLOWLINE_REQUEST_INVALID' });
    const big = `+0.001s ${'x'.repeat(MAX_BATCH_BYTES)}\n`;
    await expect(append(0, big)).rejects.toMatchObject({ code: 'FLOWLINE_REQUEST_TOO_LARGE' });
  });

  it('masks tokens once more on arrival', async () => {
    const token = `flt_${'a'.repeat(40)}`;
    await append(0, `+0.001s token ${token}\n`);
    expect(await readFile(file, 'utf8')).not.toContain(token);
  });

  it('writes a batch once when a retry races the original', async () => {
    const batch = '+0.001s a\n+0.002s b\n';
    const answers = await Promise.all([append(0, batch), append(0, batch), append(0, batch)]);
    expect(answers).toEqual([{ offset: 20 }, { offset: 20 }, { offset: 20 }]);
    expect(await readFile(file, 'utf8')).toBe(batch);
  });
});

describe('replacing a log whole', () => {
  it('keeps long lines and carriage returns byte for byte', async () => {
    const text = `+0.001s ${'y'.repeat(MAX_LINE_CHARS)}\n+0.002s progress\r50%\n`;
    await logs.replace(file, body(text));
    expect(await readFile(file, 'utf8')).toBe(text);
  });
});
