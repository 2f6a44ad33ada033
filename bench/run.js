// `npm run bench`: runs every benchmark (or those named as arguments) and prints a table each.
// Results are ratios against a baseline measured in the same run; absolute times are noise.
import { benchArtifactStore } from './artifact-store.js';
import { benchCanaryRollback } from './canary-rollback.js';
import { benchCliStartup } from './cli-startup.js';
import { benchCommitHistory } from './commit-history.js';
import { benchConfigParse } from './config-parse.js';
import { benchControlPlaneRestarts } from './control-plane-restarts.js';
import { benchDashboard } from './dashboard.js';
import { benchDeployTiming } from './deploy-timing.js';
import { benchFlags } from './flags.js';
import { benchFlagsServer } from './flags-server.js';
import { benchHistoryImport } from './history-import.js';
import { benchInstanceFolder } from './instance-folder.js';
import { benchJudgeRates } from './judge-rates.js';
import { benchMetrics } from './metrics.js';
import { benchMetricsStore } from './metrics-store.js';
import { benchMetricsTrend } from './metrics-trend.js';
import { benchPipeline } from './pipeline.js';
import { benchRouter } from './router.js';
import { benchZeroDowntime } from './zero-downtime.js';

/** @type {Record<string, () => Promise<{ name: string; runs: number; results: Record<string, unknown>[] }>>} */
const BENCHES = {
  'cli-startup': () => benchCliStartup(),
  'config-parse': () => benchConfigParse(),
  pipeline: () => benchPipeline(),
  router: () => benchRouter(),
  'artifact-store': () => benchArtifactStore(),
  flags: () => benchFlags(),
  'flags-server': () => benchFlagsServer(),
  'instance-folder': () => benchInstanceFolder(),
  'zero-downtime': () => benchZeroDowntime(),
  'control-plane-restarts': () => benchControlPlaneRestarts(),
  'deploy-timing': () => benchDeployTiming(),
  'canary-rollback': () => benchCanaryRollback(),
  'judge-rates': () => benchJudgeRates(),
  'commit-history': () => benchCommitHistory(),
  metrics: () => benchMetrics(),
  'metrics-store': () => benchMetricsStore(),
  'metrics-trend': () => benchMetricsTrend(),
  'history-import': () => benchHistoryImport(),
  dashboard: () => benchDashboard(),
};

const wanted = process.argv.slice(2);
const json = wanted.includes('--json');
const names = wanted.filter((a) => a !== '--json');
for (const name of names.length > 0 ? names : Object.keys(BENCHES)) {
  const bench = BENCHES[name];
  if (bench === undefined) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  const report = await bench();
  if (json) console.log(JSON.stringify(report));
  else {
    console.log(`\n## ${report.name} (${report.runs} runs)`);
    console.table(report.results);
  }
}
