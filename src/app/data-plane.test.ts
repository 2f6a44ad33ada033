import { chmod, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../artifacts/testing.js';
import { workRootFor } from './data-plane.js';

/** The run-as user, by numbers that own nothing here: it passes only where "other" may. */
const NOBODY = { uid: 65534, gid: 65534, name: 'nobody' };

let t: Awaited<ReturnType<typeof tempDir>>;
let logged: string[];
const log = (line: string) => logged.push(line);

beforeEach(async () => {
  t = await tempDir('flowline-workroot-');
  await chmod(t.dir, 0o755);
  logged = [];
});
afterEach(async () => {
  await t.cleanup();
});

describe('the work root', () => {
  it('is beside the home when the instances’ user can reach it', () => {
    const home = path.join(t.dir, 'state');
    expect(workRootFor({ home, workDir: undefined }, NOBODY, log)).toBe(`${home}-work`);
    expect(workRootFor({ home, workDir: undefined }, undefined, log)).toBe(`${home}-work`);
    expect(logged).toEqual([]);
  });

  it('is a lasting folder of its own when the home is under a private folder, so data survives a reboot', async () => {
    const private_ = path.join(t.dir, 'root');
    await mkdir(private_, { mode: 0o700 });
    const lasting = path.join(t.dir, 'var-lib');
    await mkdir(lasting, { mode: 0o755 });
    const home = path.join(private_, '.flowline');
    const root = workRootFor({ home, workDir: undefined }, NOBODY, log, lasting);
    expect(root).toMatch(new RegExp(`^${lasting}/flowline-work-[0-9a-f]{12}$`));
    // The same home gets the same folder at every start: its data is found again.
    expect(workRootFor({ home, workDir: undefined }, NOBODY, () => {}, lasting)).toBe(root);
    expect(logged).toEqual([
      `instances run as nobody, who cannot reach ${home}-work: their folders and data are under ${root}`,
    ]);
  });

  it('falls back to the temp folder only without a lasting one, and says the data there may be cleared', async () => {
    const private_ = path.join(t.dir, 'root');
    await mkdir(private_, { mode: 0o700 });
    const home = path.join(private_, '.flowline');
    const root = workRootFor({ home, workDir: undefined }, NOBODY, log, path.join(t.dir, 'absent'));
    expect(path.dirname(root)).toBe(os.tmpdir());
    expect(logged[0]).toContain('which the system may clear; set FLOWLINE_WORK_DIR to keep their data');
  });

  it('is FLOWLINE_WORK_DIR when set, refused inside the home', () => {
    const home = path.join(t.dir, 'state');
    const workDir = path.join(t.dir, 'elsewhere');
    expect(workRootFor({ home, workDir }, NOBODY, log)).toBe(workDir);
    expect(() => workRootFor({ home, workDir: path.join(home, 'work') }, undefined, log)).toThrow(
      /is inside FLOWLINE_HOME/,
    );
  });
});
