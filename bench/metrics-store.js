// The metrics as `flowline metrics` and `/v1/metrics` compute them: read from a real SQLite
// store (migrated by the compiled code in dist/), then the pure calculations. The store holds
// generated records of 20 services over two years: per service, production deployments spread
// evenly with jitter, each shipping 20 new commits (a chain, committed up to 2 days before) that
// staging got an hour earlier; one run per build with its build and test stages; 5% rolled back,
// 3% failed before serving, 2% hotfixes, 1% rollbacks, an incident for 2%. Half the deployments
// are production, half staging, so 1,000,000 deployments come with 10,000,000 commits.
//
// Baseline, in the same run: reading the rows a 90-day window of one service needs (its
// deployments with their ranges and commit records) with one plain SQL query each, nothing
// computed. The ratio is what to compare across machines.
//
// `node bench/run.js metrics-store` generates 100,000 deployments (1,000,000 commits);
// `FLOWLINE_BENCH_METRICS_STORE=1000000` generates the 1,000,000 and 10,000,000 (minutes,
// and about 6 GB in the temp folder, removed at the end).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { seededRandom } from './lib/random.js';
import { median, round } from './lib/stats.js';

/**
 * The compiled parts from dist/ (what the server runs).
 * @returns {Promise<[typeof import('../src/store/index.js'), typeof import('../src/metrics/index.js')]>}
 */
async function loadCompiled() {
  return Promise.all([
    import(new URL('../dist/store/index.js', import.meta.url).href),
    import(new URL('../dist/metrics/index.js', import.meta.url).href),
  ]);
}

const DAY = 86_400_000;
export const END = Date.parse('2026-12-01T00:00:00Z');
const SPAN = 730 * DAY;
const SERVICES = 20;
const COMMITS_PER_DEPLOYMENT = 20;
const iso = (/** @type {number} */ ms) => new Date(ms).toISOString();
const hex = (/** @type {number} */ n, /** @type {number} */ width) => n.toString(16).padStart(width, '0');

/**
 * Writes the records straight into the migrated store, in one transaction per service.
 * @param {string} file @param {number} total deployments (half production, half staging)
 * @param {() => number} random uniform in [0, 1), seeded
 * @param {(line: string) => void} progress
 */
export function generate(file, total, random, progress) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('foreign_keys = OFF');
  const insert = {
    service: db.prepare('INSERT INTO services (id, name, created_at) VALUES (?, ?, ?)'),
    env: db.prepare(
      "INSERT INTO environments (id, service_id, name, kind, created_at) VALUES (?, ?, ?, 'persistent', ?)",
    ),
    artifact: db.prepare(
      'INSERT INTO artifacts (id, service_id, cache_key, commit_sha, size_bytes, created_at) VALUES (?, ?, ?, ?, 1, ?)',
    ),
    run: db.prepare(
      "INSERT INTO runs (id, service_id, status, commit_sha, artifact_id, where_json, started_at, finished_at) VALUES (?, ?, 'succeeded', ?, ?, '{}', ?, ?)",
    ),
    stage: db.prepare(
      "INSERT INTO run_stages (run_id, name, position, kind, status, started_at, finished_at) VALUES (?, ?, ?, ?, 'succeeded', ?, ?)",
    ),
    commit: db.prepare(
      "INSERT INTO commits (service_id, sha, parents_json, author, authored_at, committed_at, subject, lines_added, lines_deleted, run_id, recorded_at) VALUES (?, ?, ?, 'bench', ?, ?, 'change', ?, ?, ?, ?)",
    ),
    deployment: db.prepare(
      "INSERT INTO deployments (id, service_id, environment_id, artifact_id, strategy, status, actor, started_at, finished_at, commit_sha, kind, unplanned_reason, range_status, served_at) VALUES (?, ?, ?, ?, 'canary', ?, 'bench', ?, ?, ?, ?, ?, 'complete', ?)",
    ),
    shipped: db.prepare('INSERT INTO deployment_commits (deployment_id, sha) VALUES (?, ?)'),
    incident: db.prepare(
      "INSERT INTO incidents (id, service_id, environment_id, title, source, status, opened_at, opened_by, resolved_at, cause_kind, cause_id) VALUES (?, ?, ?, 'bench', 'alert', 'resolved', ?, 'bench', ?, 'deployment', ?)",
    ),
  };
  const perService = Math.floor(total / 2 / SERVICES);
  const step = SPAN / perService;
  let commitNo = 0;
  for (let s = 0; s < SERVICES; s++) {
    const service = `svc_${hex(s, 4)}`;
    const staging = `env_${hex(s, 4)}_s`;
    const production = `env_${hex(s, 4)}_p`;
    db.transaction(() => {
      insert.service.run(service, `service-${s}`, iso(END - SPAN));
      insert.env.run(staging, service, 'staging', iso(END - SPAN));
      insert.env.run(production, service, 'production', iso(END - SPAN));
      let parent = null;
      /** @type {{ artifact: string; head: string } | null} */
      let lastGood = null;
      /** @type {string[]} */
      let carried = [];
      for (let i = 0; i < perService; i++) {
        const started = Math.floor(END - SPAN + i * step + random() * step * 0.5);
        const runId = `run_${hex(s, 4)}${hex(i, 8)}`;
        const runStart = started - 2 * 3_600_000;
        const shas = [];
        for (let c = 0; c < COMMITS_PER_DEPLOYMENT; c++) {
          const sha = hex(commitNo++, 40);
          const committed = runStart - Math.floor(random() * 2 * DAY);
          insert.commit.run(
            service,
            sha,
            JSON.stringify(parent === null ? [] : [parent]),
            iso(committed),
            iso(committed),
            Math.floor(random() * 100),
            Math.floor(random() * 50),
            runId,
            iso(runStart),
          );
          shas.push(sha);
          parent = sha;
        }
        const head = shas[shas.length - 1] ?? '';
        const artifact = `sha256:${hex(s, 4)}${hex(i, 60)}`;
        insert.artifact.run(artifact, service, artifact, head, iso(runStart));
        insert.run.run(runId, service, head, artifact, iso(runStart), iso(runStart + 1_200_000));
        insert.stage.run(runId, 'build', 0, 'build', iso(runStart), iso(runStart + 300_000));
        insert.stage.run(runId, 'unit', 1, 'stage', iso(runStart + 300_000), iso(runStart + 1_200_000));
        const stagingId = `dep_${hex(s, 4)}${hex(i, 8)}s`;
        insert.deployment.run(
          stagingId,
          service,
          staging,
          artifact,
          'succeeded',
          iso(started - 3_600_000),
          iso(started - 3_000_000),
          head,
          'deploy',
          null,
          iso(started - 3_300_000),
        );
        for (const sha of shas) insert.shipped.run(stagingId, sha);
        const roll = random();
        // 5% served users and were sent back, 3% failed before serving (src/metrics/outcome.ts).
        const status = roll < 0.08 ? 'failed' : 'succeeded';
        const served = roll < 0.05 || status === 'succeeded';
        const hotfix = roll >= 0.08 && roll < 0.1;
        const id = `dep_${hex(s, 4)}${hex(i, 8)}p`;
        const finished = started + 600_000;
        insert.deployment.run(
          id,
          service,
          production,
          artifact,
          status,
          iso(started),
          iso(finished),
          head,
          'deploy',
          hotfix ? 'hotfix' : null,
          served ? iso(started + 60_000) : null,
        );
        // A range stops at what production already runs: a failed deployment's commits ship again.
        const range = carried.concat(shas);
        for (const sha of range) insert.shipped.run(id, sha);
        carried = status === 'succeeded' ? [] : range;
        /** @type {{ artifact: string; head: string } | null} */
        const previousGood = lastGood;
        if (status === 'succeeded') lastGood = { artifact, head };
        if (random() < 0.02) {
          insert.incident.run(
            `inc_${hex(s, 4)}${hex(i, 8)}`,
            service,
            production,
            iso(finished + 600_000),
            iso(finished + 3_600_000),
            id,
          );
        }
        if (status === 'succeeded' && previousGood !== null && random() < 0.01) {
          const rollback = `dep_${hex(s, 4)}${hex(i, 8)}r`;
          insert.deployment.run(
            rollback,
            service,
            production,
            previousGood.artifact,
            'succeeded',
            iso(finished + 60_000),
            iso(finished + 120_000),
            previousGood.head,
            'rollback',
            'rollback',
            iso(finished + 90_000),
          );
          lastGood = previousGood;
        }
      }
    })();
    progress(`  generated service ${s + 1}/${SERVICES} (${commitNo.toLocaleString('en')} commits so far)`);
  }
  db.close();
}

/** Median wall-clock and CPU milliseconds of `runs` calls. @param {() => Promise<unknown>} f @param {number} runs */
async function time(f, runs) {
  const wall = [];
  const cpu = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    const used = process.cpuUsage();
    await f();
    const spent = process.cpuUsage(used);
    wall.push(performance.now() - start);
    cpu.push((spent.user + spent.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

export async function benchMetricsStore() {
  const [store, metrics] = await loadCompiled();
  const total = Number(process.env.FLOWLINE_BENCH_METRICS_STORE ?? 100_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-bench-metrics-'));
  const file = path.join(dir, 'flowline.db');
  try {
    (await store.openStore({ file })).close();
    const generating = performance.now();
    generate(file, total, await seededRandom(7), (line) => process.stderr.write(`${line}\n`));
    process.stderr.write(`  generated in ${round((performance.now() - generating) / 1000)} s\n`);
    const opened = await store.openStore({ file });
    const service = 'service-7';
    const window = { from: new Date(END - 90 * DAY), to: new Date(END) };
    const m = metrics.createMetrics({ store: opened });
    const raw = new Database(file, { readonly: true });
    const baselineQuery = raw.prepare(`
      SELECT d.*, c.* FROM deployments d
      JOIN deployment_commits dc ON dc.deployment_id = d.id
      LEFT JOIN commits c ON c.service_id = d.service_id AND c.sha = dc.sha
      WHERE d.environment_id = (SELECT e.id FROM environments e JOIN services s ON s.id = e.service_id
                                WHERE s.name = ? AND e.name = 'production')
        AND d.finished_at >= ? AND d.finished_at < ?`);
    const runs = total >= 1_000_000 ? 3 : 5;
    let rows = 0;
    const baseline = await time(async () => {
      rows = baselineQuery.all(service, window.from.toISOString(), window.to.toISOString()).length;
    }, runs);
    /** @type {Awaited<ReturnType<typeof m.dora>> | undefined} */
    let report;
    const dora = await time(async () => {
      report = await m.dora({ service, window });
    }, runs);
    const flow = await time(() => m.flow({ service, window }), runs);
    const all = await time(async () => {
      await m.dora({ window });
      await m.flow({ window });
    }, 1);
    raw.close();
    await opened.close();
    const one = report?.services[0];
    return {
      name: 'metrics-store: the five keys and the flow read from a SQLite store, 90-day window',
      runs,
      results: [
        {
          deployments: total,
          commits: total * (COMMITS_PER_DEPLOYMENT / 2),
          'window rows (baseline)': rows,
          'baseline read ms': round(baseline.wall),
          'five keys, one service ms': round(dora.wall),
          'ratio keys / baseline': round(dora.wall / baseline.wall),
          'flow, one service ms': round(flow.wall),
          'keys + flow, all 20 services ms': round(all.wall),
          'keys CPU ms': round(dora.cpu),
          'commits counted': one?.changeLeadTime.count ?? 0,
          'fail rate': round(one?.changeFailRate.rate ?? 0),
        },
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
