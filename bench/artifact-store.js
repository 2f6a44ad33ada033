// Artifact store throughput: `put` (copy + hash in one pass + fsync + commit) and `verify`
// (re-hash against the manifest) of 100 MB of random files, against `sha256sum` reading and
// hashing the same files in the same run. Reports medians and ratios to sha256sum.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { median, round } from './lib/stats.js';

/**
 * The compiled store from dist/ (what the CLI runs), typed from src/. A computed specifier keeps
 * tsc (checkJs) from type-checking the emitted JavaScript itself.
 * @returns {Promise<typeof import('../src/artifacts/index.js')>}
 */
function loadCompiled() {
  return import(new URL('../dist/artifacts/index.js', import.meta.url).href);
}

/** @param {number} ms */
const since = (ms) => performance.now() - ms;

/** @param {string} dir */
function removeTree(dir) {
  // Artifact folders are read-only: make them writable first (as the store's own gc does).
  spawnSync('chmod', ['-R', 'u+w', dir]);
  spawnSync('rm', ['-rf', dir]);
}

/**
 * @param {{ rounds?: number, files?: number, fileBytes?: number, dir?: string }} [options]
 *   `dir`: where to create the files and stores (default the OS temp folder; its filesystem
 *   matters, since put fsyncs).
 */
export async function benchArtifactStore(options = {}) {
  const { createArtifactStore } = await loadCompiled();
  const rounds = options.rounds ?? 5;
  const count = options.files ?? 20;
  const fileBytes = options.fileBytes ?? 5 * 1024 * 1024;
  const totalMB = (count * fileBytes) / 1e6;
  const base = await mkdtemp(path.join(options.dir ?? os.tmpdir(), 'flowline-bench-artifacts-'));
  try {
    const source = path.join(base, 'build');
    await mkdir(source);
    /** @type {string[]} */ const files = [];
    for (let i = 0; i < count; i++) {
      const file = path.join(source, `chunk-${String(i).padStart(2, '0')}.bin`);
      await writeFile(file, randomBytes(fileBytes));
      files.push(file);
    }
    /** @type {number[]} */ const baseline = [];
    /** @type {number[]} */ const put = [];
    /** @type {number[]} */ const reput = [];
    /** @type {number[]} */ const verify = [];
    /** @type {number[]} */ const openssl = [];
    // A second reference: coreutils' sha256sum does not use the CPU's SHA instructions, while
    // OpenSSL (which Node's crypto is) does. Skipped where there is no openssl binary.
    const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
    spawnSync('sha256sum', files, { stdio: 'ignore' }); // warm the page cache for everyone
    for (let round = 0; round < rounds; round++) {
      let start = performance.now();
      const sum = spawnSync('sha256sum', files, { stdio: 'ignore' });
      baseline.push(since(start));
      if (sum.status !== 0) throw new Error(`sha256sum exited ${sum.status}`);
      if (hasOpenssl) {
        start = performance.now();
        spawnSync('openssl', ['dgst', '-sha256', ...files], { stdio: 'ignore' });
        openssl.push(since(start));
      }

      // A fresh store each round, so every put copies and commits for real.
      const root = path.join(base, `store-${round}`);
      const store = createArtifactStore({ root, clock: { now: () => new Date() } });
      await store.list(); // lays out the folders: not part of put
      start = performance.now();
      const ref = await store.put(source);
      put.push(since(start));

      start = performance.now();
      await store.put(source); // identical content: copied and hashed again, then discarded
      reput.push(since(start));

      start = performance.now();
      await store.verify(ref.digest);
      verify.push(since(start));
      removeTree(root);
    }
    const b = median(baseline);
    /** @param {string} name @param {number[]} times */
    const row = (name, times) => ({
      case: name,
      medianMs: round(median(times)),
      MBps: Math.round(totalMB / (median(times) / 1000)),
      ratio: round(median(times) / b),
    });
    return {
      name: 'artifact-store',
      runs: rounds,
      results: [
        row(`sha256sum, ${count} × ${fileBytes / 1024 / 1024} MiB`, baseline),
        ...(hasOpenssl ? [row('openssl dgst -sha256 (reference)', openssl)] : []),
        row('put (new artifact)', put),
        row('put (already stored)', reput),
        row('verify', verify),
      ],
    };
  } finally {
    removeTree(base);
  }
}
