// Importing history (docs/metrics.md, "Importing history"): 100,000 past deployments from a CSV
// file into a real SQLite store, the way `flowline history import deployments` does it embedded —
// parse and check every row, look up ids imported before, insert, and compute every deployment's
// commit range from 100,000 imported commits, all in one transaction — and the same file again
// (every row skipped).
//
// Baseline, in the same run: a plain INSERT loop of the same 100,000 rows (one prepared statement,
// one transaction, no parsing, no checks, no ranges) into the same table of a fresh store. The
// ratio is what to compare across machines; absolute times depend on the machine's load.
//
// `node bench/run.js history-import`; FLOWLINE_BENCH_HISTORY_ROWS changes the size.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { median, round } from './lib/stats.js';

/**
 * The compiled modules from dist/, typed from src/.
 * @returns {Promise<[typeof import('../src/store/index.js'), typeof import('../src/catalog/index.js'),
 *   typeof import('../src/audit/index.js'), typeof import('../src/policy/index.js'),
 *   typeof import('../src/history/index.js')]>}
 */
function loadCompiled() {
  return Promise.all([
    import(new URL('../dist/store/index.js', import.meta.url).href),
    import(new URL('../dist/catalog/index.js', import.meta.url).href),
    import(new URL('../dist/audit/index.js', import.meta.url).href),
    import(new URL('../dist/policy/index.js', import.meta.url).href),
    import(new URL('../dist/history/index.js', import.meta.url).href),
  ]);
}

const ROWS = Number(process.env.FLOWLINE_BENCH_HISTORY_ROWS ?? 100_000);
const START = Date.parse('2020-01-01T00:00:00Z');
const HOUR = 3_600_000;

/** The n-th commit's sha: 40 hex digits, distinct per n. @param {number} n */
const sha = (n) => n.toString(16).padStart(40, '0');

/** A linear history of ROWS commits, one an hour. */
function commits() {
  return Array.from({ length: ROWS }, (_, i) => ({
    sha: sha(i + 1),
    parents: i === 0 ? [] : [sha(i)],
    author: 'Bench <bench@example.com>',
    authoredAt: new Date(START + i * HOUR).toISOString(),
    committedAt: new Date(START + i * HOUR).toISOString(),
    subject: `change ${i + 1}`,
    linesAdded: 1,
    linesDeleted: 0,
  }));
}

/** ROWS deployments to production, each shipping the next commit; 5% rolled back. */
function csv() {
  const lines = [
    'id,service,environment,commitSha,startedAt,finishedAt,outcome,kind,unplannedReason,artifact',
  ];
  for (let i = 0; i < ROWS; i++) {
    const started = new Date(START + i * HOUR + 30 * 60_000).toISOString();
    const finished = new Date(START + i * HOUR + 35 * 60_000).toISOString();
    const outcome = i % 20 === 7 ? 'rolledBack' : 'succeeded';
    lines.push(`d-${i},bench,production,${sha(i + 1)},${started},${finished},${outcome},deploy,,bench:${i}`);
  }
  return `${lines.join('\n')}\n`;
}

/** @param {{ runs?: number }} [options] */
export async function benchHistoryImport(options = {}) {
  const runs = options.runs ?? 3;
  const [stores, catalogs, audits, policies, history] = await loadCompiled();
  const text = csv();
  const graph = commits();
  const clock = { now: () => new Date() };
  const by = { actor: { kind: /** @type {const} */ ('user'), name: 'bench' }, where: { host: 'bench' } };
  /** @type {number[]} */ const imports = [];
  /** @type {number[]} */ const again = [];
  /** @type {number[]} */ const baseline = [];
  /** @type {unknown} */ let ranges;
  for (let r = 0; r < runs; r++) {
    const root = await mkdtemp(path.join(os.tmpdir(), 'flowline-bench-import-'));
    try {
      const open = async (/** @type {string} */ name) => {
        const store = await stores.openStore({ file: path.join(root, name, 'flowline.db'), clock });
        const catalog = catalogs.createCatalog({ store, clock });
        const audit = audits.createAuditLog({ store, clock });
        await catalog.ensureService('bench');
        await catalog.ensureEnvironment('bench', 'production', 'persistent');
        const policy = policies.createPolicies({ store, audit, clock });
        return {
          store,
          history: history.createHistoryImport({ store, audit, clock, catalog, policies: policy }),
        };
      };

      // The baseline: the same rows, inserted as they are, on a fresh store of the same schema.
      const plain = await open('plain');
      const ids = await plain.store.db
        .selectFrom('environments')
        .select(['id', 'service_id'])
        .executeTakeFirstOrThrow();
      await plain.store.db
        .insertInto('artifacts')
        .values({
          id: 'a',
          service_id: ids.service_id,
          cache_key: 'a',
          commit_sha: null,
          size_bytes: 0,
          created_at: '',
        })
        .execute();
      await plain.store.close();
      const raw = new Database(path.join(root, 'plain', 'flowline.db'));
      const rows = text
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(','));
      let started = performance.now();
      const insert = raw.prepare(
        `INSERT INTO deployments (id, service_id, environment_id, artifact_id, strategy, status, actor, started_at, finished_at, commit_sha, kind, imported, external_id, outcome)
         VALUES (?, ?, ?, 'a', 'imported', ?, 'bench', ?, ?, ?, 'deploy', 1, ?, ?)`,
      );
      raw.transaction(() => {
        for (const [id = '', , , commit, from, to, outcome] of rows) {
          insert.run(
            `dep_${id}`,
            ids.service_id,
            ids.id,
            outcome === 'succeeded' ? 'succeeded' : 'rolled_back',
            from,
            to,
            commit,
            id,
            outcome,
          );
        }
      })();
      baseline.push(performance.now() - started);
      raw.close();

      // The import: commits first (as a team would), then the file, then the file again.
      const real = await open('import');
      await real.history.commits({ service: 'bench', commits: graph, last: false }, by);
      started = performance.now();
      const result = await real.history.deployments(
        history.parseDeployments({ name: 'bench.csv', text }),
        by,
      );
      imports.push(performance.now() - started);
      ranges = result.ranges;
      if (result.imported !== ROWS) throw new Error(`imported ${result.imported} of ${ROWS}`);
      started = performance.now();
      const second = await real.history.deployments(
        history.parseDeployments({ name: 'bench.csv', text }),
        by,
      );
      again.push(performance.now() - started);
      if (second.skipped !== ROWS) throw new Error(`skipped ${second.skipped} of ${ROWS}`);
      await real.store.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  const b = median(baseline);
  const n = ROWS.toLocaleString('en');
  return {
    name: 'history-import',
    runs,
    results: [
      { what: `baseline: plain INSERT loop of ${n} rows, one transaction`, 'median ms': round(b), ratio: 1 },
      {
        what: `import ${n} deployments from CSV (checked, ranges from ${n} commits)`,
        'median ms': round(median(imports)),
        ratio: round(median(imports) / b),
      },
      {
        what: 'the same file again (every row skipped; ranges recomputed)',
        'median ms': round(median(again)),
        ratio: round(median(again) / b),
      },
      { what: `ranges of the import: ${JSON.stringify(ranges)}`, 'median ms': '', ratio: '' },
    ],
  };
}
