// The pure metrics calculations (compiled code from dist/) over generated records of one service
// in one 90-day window: all five DORA keys (`computeDora`) plus the value stream (stage breakdown,
// batch sizes, cumulative flow). Sizes grow ×10 per case, 10 commits per deployment, so the
// table shows whether the time grows linearly. Records are generated with a seeded PRNG and
// are the same every run.
//
// Baseline, in the same run: parsing every timestamp of the same records once (`Date.parse`),
// the least any calculation over ISO-8601 records must do. The ratio is what to compare across
// machines; absolute times depend on the machine's load.
//
// `node bench/run.js metrics` runs 1,000 / 10,000 / 100,000 deployments;
// `FLOWLINE_BENCH_METRICS_MAX=1000000` adds 1,000,000 deployments and 10,000,000 commits (needs
// `node --max-old-space-size=12000` and minutes to generate).
import { seededRandom } from './lib/random.js';
import { median, round } from './lib/stats.js';

/**
 * The compiled metrics part from dist/ (what the server runs), typed from src/. A computed
 * specifier keeps tsc (checkJs) from type-checking the emitted JavaScript itself.
 * @returns {Promise<typeof import('../src/metrics/index.js')>}
 */
async function loadCompiled() {
  return import(new URL('../dist/metrics/index.js', import.meta.url).href);
}

const DAY = 86_400_000;
const FROM = Date.parse('2026-09-01T00:00:00Z');
const TO = FROM + 90 * DAY;
const COMMITS_PER_DEPLOYMENT = 10;

/**
 * `count` production deployments spread over the window, each shipping 10 new commits made up
 * to two days before it; 5% rolled back, 3% failed analysis, 2% followed by a hotfix, an
 * incident for 2% of them.
 * @param {number} count @param {() => number} random uniform in [0, 1), seeded
 */
function generate(count, random) {
  /** @type {import('../src/metrics/index.js').CommitRecord[]} */
  const commits = [];
  /** @type {import('../src/metrics/index.js').DeploymentRecord[]} */
  const deployments = [];
  /** @type {import('../src/metrics/index.js').IncidentRecord[]} */
  const incidents = [];
  /** @type {import('../src/metrics/index.js').ChangeStages[]} */
  const changes = [];
  const step = (TO - FROM) / count;
  for (let i = 0; i < count; i++) {
    const finished = Math.floor(FROM + i * step + step / 2);
    const started = finished - 600_000;
    const shas = [];
    for (let c = 0; c < COMMITS_PER_DEPLOYMENT; c++) {
      const sha = `${i.toString(16).padStart(8, '0')}${c.toString(16).padStart(2, '0')}`;
      const committed = new Date(started - Math.floor(random() * 2 * DAY)).toISOString();
      shas.push(sha);
      commits.push({
        sha,
        authoredAt: committed,
        committedAt: committed,
        author: 'bench',
        linesAdded: Math.floor(random() * 100),
        linesDeleted: Math.floor(random() * 50),
      });
      changes.push({
        sha,
        deploymentId: `d${i}`,
        committedAt: committed,
        pipelineStartedAt: new Date(started - 3_600_000).toISOString(),
        buildFinishedAt: new Date(started - 3_000_000).toISOString(),
        testsFinishedAt: new Date(started - 2_400_000).toISOString(),
        productionStartedAt: new Date(started).toISOString(),
        productionFinishedAt: new Date(finished).toISOString(),
      });
    }
    const roll = random();
    const outcome = roll < 0.05 ? 'rolledBack' : roll < 0.08 ? 'failedAnalysis' : 'succeeded';
    const hotfix = roll >= 0.08 && roll < 0.1;
    deployments.push({
      id: `d${i}`,
      service: 'shop',
      environment: 'production',
      commitSha: shas[shas.length - 1] ?? '',
      artifact: `a${i}`,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      outcome,
      kind: 'deploy',
      planned: !hotfix,
      ...(hotfix ? { unplannedReason: /** @type {const} */ ('hotfix') } : {}),
      commits: shas,
    });
    if (random() < 0.02) {
      incidents.push({
        id: `i${i}`,
        service: 'shop',
        environment: 'production',
        openedAt: new Date(finished + 600_000).toISOString(),
        resolvedAt: new Date(finished + 3_600_000).toISOString(),
        cause: { kind: 'deployment', id: `d${i}`, inferred: false },
        source: 'alert',
      });
    }
  }
  return { commits, deployments, incidents, changes };
}

/**
 * Median wall-clock and CPU milliseconds of `runs` calls. CPU time (user + system of this
 * single-threaded process) is what the work costs; wall time also counts waiting for a core on
 * a shared machine.
 * @param {() => unknown} f @param {number} runs
 */
function time(f, runs) {
  const wall = [];
  const cpu = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    const used = process.cpuUsage();
    f();
    const spent = process.cpuUsage(used);
    wall.push(performance.now() - start);
    cpu.push((spent.user + spent.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

export async function benchMetrics() {
  const metrics = await loadCompiled();
  const max = Number(process.env.FLOWLINE_BENCH_METRICS_MAX ?? 100_000);
  const scope = { service: 'shop', environment: 'production' };
  const window = { from: new Date(FROM), to: new Date(TO) };
  const range = metrics.windowMs(window);
  /** @type {Record<string, unknown>[]} */
  const results = [];
  for (let count = 1_000; count <= max; count *= 10) {
    const data = generate(count, await seededRandom(12));
    const runs = count >= 1_000_000 ? 1 : 3;
    const baseline = time(() => {
      let sum = 0;
      for (const d of data.deployments) sum += Date.parse(d.startedAt) + Date.parse(d.finishedAt ?? '');
      for (const c of data.commits) sum += Date.parse(c.committedAt);
      return sum;
    }, runs);
    const dora = time(() => metrics.computeDora(data, scope, window), runs);
    const flow = time(
      () =>
        metrics.valueStream(
          data.changes,
          data.commits,
          metrics.timedDeployments(data.deployments, scope),
          range,
        ),
      runs,
    );
    const report = metrics.computeDora(data, scope, window);
    results.push({
      deployments: count,
      commits: data.commits.length,
      'parse only (baseline) CPU ms': round(baseline.cpu),
      'five keys CPU ms': round(dora.cpu),
      'five keys wall ms': round(dora.wall),
      'ratio keys / baseline': round(dora.cpu / baseline.cpu),
      'value stream CPU ms': round(flow.cpu),
      'ns per commit (keys, CPU)': round((dora.cpu * 1e6) / data.commits.length),
      'fail rate': round(report.changeFailRate.rate ?? 0),
    });
  }
  return {
    name: 'metrics: five DORA keys and the value stream, one service, 90-day window',
    runs: 3,
    results,
  };
}
