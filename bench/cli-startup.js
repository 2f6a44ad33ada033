// Cold start of `flowline --help` against `node -e 0`, interleaved in one run so machine noise
// hits both alike. Reports medians and their ratio.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, round } from './lib/stats.js';

const CLI = fileURLToPath(new URL('../bin/flowline.js', import.meta.url));

/** @param {string[]} args */
function timeOnce(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** @param {{ runs?: number }} [options] */
export async function benchCliStartup(options = {}) {
  const runs = options.runs ?? 30;
  /** @type {number[]} */ const baseline = [];
  /** @type {number[]} */ const help = [];
  /** @type {number[]} */ const version = [];
  timeOnce([CLI, '--help']); // warm the file cache once
  for (let i = 0; i < runs; i++) {
    baseline.push(timeOnce(['-e', '0']));
    help.push(timeOnce([CLI, '--help']));
    version.push(timeOnce([CLI, '--version']));
  }
  const b = median(baseline);
  return {
    name: 'cli-startup',
    runs,
    results: [
      { case: 'node -e 0', medianMs: round(b), ratio: 1 },
      { case: 'flowline --help', medianMs: round(median(help)), ratio: round(median(help) / b) },
      { case: 'flowline --version', medianMs: round(median(version)), ratio: round(median(version) / b) },
    ],
  };
}
