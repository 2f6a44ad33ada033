import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlowlineError } from '../../core/errors.js';
import { createLogFiles } from '../../pipeline/intake-logs.js';
import { createMasker } from '../../pipeline/mask.js';
import { LogShipper, type LogSink } from './log-shipper.js';

// The shipper against the server's real log store on a temp folder; only the HTTP hop is left out.

let dir: string;
const files = createLogFiles(createMasker([]));
const served = (stage: string) => path.join(dir, 'server', `${stage}.log`);

/** A sink writing to the server's log store; `hold` keeps appends waiting until `release`. */
function sink(options: { hold?: boolean; loseFirstAnswer?: boolean } = {}) {
  let release: () => void = () => {};
  const gate = options.hold === true ? new Promise<void>((resolve) => (release = resolve)) : undefined;
  let lose = options.loseFirstAnswer === true;
  const calls: string[] = [];
  const impl: LogSink = {
    async appendLog(_run, stage, offset, lines) {
      calls.push(`append ${stage} @${offset}`);
      await gate;
      const answer = await files.append(served(stage), offset, Readable.from([Buffer.from(lines)]));
      if (lose) {
        lose = false; // written, but the answer never reaches the runner
        throw new FlowlineError('FLOWLINE_SERVER_UNREACHABLE', 'connection reset');
      }
      return answer;
    },
    async uploadLog(_run, stage, file) {
      calls.push(`upload ${stage}`);
      await files.replace(served(stage), Readable.from([await readFile(file)]));
    },
  };
  return { impl, calls, release: () => release() };
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-shipper-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (i: number) => `+0.${String(i).padStart(3, '0')}s line ${i} ${'x'.repeat(i % 7)}\n`;

describe('shipping stage logs while they grow', () => {
  it('sends lines in batches, in order, ending byte-identical to the local log', async () => {
    const server = sink();
    const errors: unknown[] = [];
    const shipper = new LogShipper(server.impl, 'run_1', { batchBytes: 100, onError: (e) => errors.push(e) });
    shipper.open();
    const local = Array.from({ length: 50 }, (_, i) => line(i));
    for (const l of local) shipper.add('unit', l);
    await shipper.finish('unit', null);
    expect(errors).toEqual([]);
    expect(await readFile(served('unit'), 'utf8')).toBe(local.join(''));
    expect(server.calls.length).toBeGreaterThan(1);
    expect(server.calls.every((c) => c.startsWith('append'))).toBe(true);
  });

  it('holds lines until the run is recorded, then sends them', async () => {
    const server = sink();
    const shipper = new LogShipper(server.impl, 'run_1', { onError: () => {} });
    shipper.add('build', line(1));
    expect(server.calls).toEqual([]);
    shipper.open();
    await shipper.finish('build', null);
    expect(await readFile(served('build'), 'utf8')).toBe(line(1));
  });

  it('sends a batch again when its answer is lost, and the server keeps one copy', async () => {
    const server = sink({ loseFirstAnswer: true });
    const shipper = new LogShipper(server.impl, 'run_1', { onError: () => {} });
    shipper.open();
    shipper.add('unit', line(1));
    shipper.add('unit', line(2));
    await shipper.finish('unit', null);
    expect(server.calls).toEqual(['append unit @0', 'append unit @0']);
    expect(await readFile(served('unit'), 'utf8')).toBe(line(1) + line(2));
  });

  it('stops streaming a stage when a slow server lets the queue overflow, and uploads its whole log at the end', async () => {
    const server = sink({ hold: true });
    const shipper = new LogShipper(server.impl, 'run_1', {
      batchBytes: 64,
      maxQueuedBytes: 1024,
      onError: () => {},
    });
    shipper.open();
    const local = Array.from({ length: 200 }, (_, i) => line(i));
    for (const l of local) shipper.add('unit', l); // the server answers nothing meanwhile
    const file = path.join(dir, 'unit.log');
    await writeFile(file, local.join(''));
    server.release();
    await shipper.finish('unit', file);
    expect(server.calls.at(-1)).toBe('upload unit');
    expect(server.calls.filter((c) => c.startsWith('append')).length).toBeLessThan(5);
    expect(await readFile(served('unit'), 'utf8')).toBe(local.join(''));
  });

  it('reports a refusal once and sends nothing more', async () => {
    const errors: unknown[] = [];
    const refusing: LogSink = {
      appendLog: async () => {
        throw new FlowlineError('FLOWLINE_RUN_REAPED', 'Run run_1 was marked failed.');
      },
      uploadLog: async () => {},
    };
    const shipper = new LogShipper(refusing, 'run_1', { onError: (e) => errors.push(e) });
    shipper.open();
    shipper.add('unit', line(1));
    await shipper.finish('unit', null);
    shipper.add('unit', line(2));
    expect(errors).toEqual([expect.objectContaining({ code: 'FLOWLINE_RUN_REAPED' })]);
  });
});
