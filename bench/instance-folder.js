// What giving each instance its own copy of its artifact costs (ADR 0010: instances never run in
// the shared, content-addressed artifact): `prepareInstanceDir` (copy, then make it writable and,
// as root, owned by the run-as user) of a node_modules-like artifact — 5,000 files, 50 MB — from
// the artifact store, against `cp -a` of the same folder in the same run. Medians and ratios.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { median, round } from './lib/stats.js';

/**
 * The compiled modules from dist/ (what `flowline serve` runs), typed from src/.
 * @returns {Promise<[typeof import('../src/artifacts/index.js'), typeof import('../src/runtime/workdir.js')]>}
 */
function loadCompiled() {
  return Promise.all([
    import(new URL('../dist/artifacts/index.js', import.meta.url).href),
    import(new URL('../dist/runtime/workdir.js', import.meta.url).href),
  ]);
}

const FILES = 5000;
const BYTES = 50 * 1024 * 1024;

/** @param {{ runs?: number }} [options] */
export async function benchInstanceFolder(options = {}) {
  const runs = options.runs ?? 5;
  const [artifacts, workdir] = await loadCompiled();
  const root = await mkdtemp(path.join(os.tmpdir(), 'flowline-bench-instance-'));
  try {
    const source = path.join(root, 'build');
    for (let i = 0; i < FILES; i++) {
      const dir = path.join(source, 'node_modules', `pkg-${i % 250}`, `lib-${i % 7}`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, `file-${i}.js`), randomBytes(BYTES / FILES));
    }
    const store = artifacts.createArtifactStore({
      root: path.join(root, 'store'),
      clock: { now: () => new Date() },
    });
    const ref = await store.put(source, { config: 'version: 1\nservice: bench\n' });
    const uid = process.getuid?.();
    const runAs = uid === 0 ? { uid: 65534, gid: 65534, name: 'nobody' } : undefined;
    /** @type {number[]} */
    const ours = [];
    /** @type {number[]} */
    const cp = [];
    for (let run = 0; run < runs; run++) {
      const work = path.join(root, `work-${run}`);
      let started = performance.now();
      await workdir.prepareInstanceDir({ workRoot: work, instanceId: 'bench-1', source: ref.path, runAs });
      ours.push(performance.now() - started);
      started = performance.now();
      const copied = spawnSync('cp', ['-a', ref.path, path.join(root, `cp-${run}`)]);
      if (copied.status !== 0) throw new Error(`cp -a failed: ${copied.stderr}`);
      cp.push(performance.now() - started);
      await rm(work, { recursive: true, force: true });
      spawnSync('chmod', ['-R', 'u+w', path.join(root, `cp-${run}`)]);
      await rm(path.join(root, `cp-${run}`), { recursive: true, force: true });
    }
    const base = median(cp);
    return {
      name: `a ${FILES}-file, ${BYTES / 1024 / 1024} MB artifact copied for one instance${runAs === undefined ? '' : ' (owned by nobody)'}`,
      runs,
      results: [
        { what: 'cp -a (baseline)', 'median ms': round(base), ratio: 1 },
        { what: 'prepareInstanceDir', 'median ms': round(median(ours)), ratio: round(median(ours) / base) },
      ],
    };
  } finally {
    spawnSync('chmod', ['-R', 'u+w', root]);
    await rm(root, { recursive: true, force: true });
  }
}
