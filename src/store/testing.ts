import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createManualClock } from '../core/clock.js';
import { type OpenStoreOptions, openStore, type Store } from './open.js';

/**
 * A real SQLite store in a fresh temp folder, for tests of any part. `cleanup` closes every
 * store opened through `open` and removes the folder.
 */
export async function tempStore(options: Partial<OpenStoreOptions> = {}): Promise<{
  dir: string;
  file: string;
  store: Store;
  clock: ReturnType<typeof createManualClock>;
  open(extra?: Partial<OpenStoreOptions>): Promise<Store>;
  cleanup(): Promise<void>;
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-store-'));
  const file = path.join(dir, '.flowline', 'flowline.db');
  const clock = createManualClock();
  const opened: Store[] = [];
  const openOne = async (extra: Partial<OpenStoreOptions> = {}) => {
    const store = await openStore({ file, clock, ...options, ...extra });
    opened.push(store);
    return store;
  };
  const store = await openOne();
  return {
    dir,
    file,
    store,
    clock,
    open: openOne,
    async cleanup() {
      for (const s of opened) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
