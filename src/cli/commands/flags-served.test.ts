import { describe, expect, it } from 'vitest';
import { FlowlineError } from '../../core/errors.js';
import { createVirtualTime } from '../../core/sleep.js';
import type { FlagDocument } from '../../flags/service/index.js';
import { SERVED_WITHIN_MS, untilServed } from './flags-served.js';

const written: FlagDocument = {
  service: 'shop',
  environment: 'prod',
  version: 7,
  etag: '"v7"',
  definition: { flags: {} },
};

/** A server that answers the given versions one after another (the last one from then on). */
function serverServing(...versions: (number | undefined)[]) {
  let asked = 0;
  return {
    get asked() {
      return asked;
    },
    servedVersion: async () => versions[Math.min(asked++, versions.length - 1)],
  };
}

describe('untilServed', () => {
  it('returns at once when the server serves the written version or a later one', async () => {
    for (const version of [7, 8]) {
      const server = serverServing(version);
      const lines: string[] = [];
      await untilServed(server, written, (line) => lines.push(line));
      expect(server.asked).toBe(1);
      expect(lines).toEqual([]);
    }
  });

  it('returns at once when no server serves the store', async () => {
    const server = serverServing(undefined);
    await untilServed(server, written, () => {});
    expect(server.asked).toBe(1);
  });

  it('says once what it waits for, and returns when the server catches up', async () => {
    const time = createVirtualTime();
    const server = serverServing(6, 6, 6, 7);
    const lines: string[] = [];
    await time.run(untilServed(server, written, (line) => lines.push(line), time.wait));
    expect(server.asked).toBe(4);
    expect(lines).toEqual(['… waiting for the server to serve version 7 of shop/prod (it serves 6)']);
  });

  it('gives up after its bound with FLOWLINE_FLAGS_NOT_SERVED, naming both versions', async () => {
    const time = createVirtualTime();
    const start = time.wait.now();
    const error = await time
      .run(untilServed(serverServing(6), written, () => {}, time.wait))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowlineError);
    expect((error as FlowlineError).code).toBe('FLOWLINE_FLAGS_NOT_SERVED');
    expect((error as FlowlineError).message).toContain('Version 7 of shop/prod is written');
    expect((error as FlowlineError).message).toContain('still serves version 6');
    expect(time.wait.now() - start).toBe(SERVED_WITHIN_MS);
  });
});
