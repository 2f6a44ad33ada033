// Judges the looks `bench/judge-rates.js` recorded (`JUDGE_RATES_RAW=<file>`) again with other
// settings, as the analysis engine would have measured them: the same trials and samples, so
// settings are compared without the noise of separate runs.
//
//   node bench/judge-replay.js FILE [--tolerance 0.1,0.15] [--min-samples 50,500]
//     [--interval 10,30] [--count 3] [--initial-delay 0] [--sample-timeout 60] [--against baseline|warm]
//     [--undecided wait|pass] [--undecided-poll 1]
//
// Every option takes a comma-separated list (tolerance, min samples, interval, count); each
// combination is one row. Verdicts as the analysis engine makes them (engineVerdict in
// judge-rates.js). The recorded looks are every second's for the first 15 s, then every fifth
// second's, so a later measurement is taken at the first recorded look at or after its time: up to
// 4 s later than the engine, whose poll is 1 s. `--against warm` judges against the warm stable
// instance instead of the fresh baseline (with the judge's default tolerance for a stable
// baseline). `--undecided pass` takes a pass the samples do not settle as final, as the judge did
// before it waited for more; `--undecided-poll N` asks an undecided pass again every N seconds.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { engineVerdict, judgeLook, judgeMetrics, SCENARIOS } from './judge-rates.js';
import { median } from './lib/stats.js';

/** @type {typeof import('../src/analysis/stats/judge.js')} */
const { hodgesLehmannRatio } = await import(new URL('../dist/analysis/stats/judge.js', import.meta.url).href);

/** @typedef {import('./judge-rates.js').Look} Look */
/** @typedef {import('./judge-rates.js').LookVerdict} LookVerdict */

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    tolerance: { type: 'string' },
    'min-samples': { type: 'string', default: '50' },
    interval: { type: 'string', default: '10' },
    count: { type: 'string', default: '3' },
    'initial-delay': { type: 'string', default: '0' },
    'sample-timeout': { type: 'string', default: '60' },
    against: { type: 'string', default: 'baseline' },
    undecided: { type: 'string', default: 'wait' },
    'undecided-poll': { type: 'string', default: '1' },
    'error-min-difference': { type: 'string' },
    confidence: { type: 'string' },
  },
});
const file = positionals[0];
if (file === undefined) {
  console.error(
    'usage: node bench/judge-replay.js FILE [--tolerance 0.1] [--min-samples 50] [--interval 10] …',
  );
  process.exit(2);
}
/** @param {string | undefined} list */
const numbers = (list) => (list === undefined ? [undefined] : list.split(',').map(Number));
const against = values.against === 'warm' ? 'warm' : 'baseline';

/** @type {Map<string, Look[][]>} scenario → trials → looks */
const trials = new Map();
for await (const line of createInterface({ input: createReadStream(file) })) {
  if (line.trim() === '') continue;
  const { scenario, looks } = JSON.parse(line);
  const list = trials.get(scenario) ?? [];
  list.push(looks);
  trials.set(scenario, list);
}

const metrics = judgeMetrics();
const rows = [];
for (const errorFloor of numbers(values['error-min-difference']))
  for (const confidence of numbers(values.confidence))
    for (const tolerance of numbers(values.tolerance))
      for (const minSamples of numbers(values['min-samples']))
        for (const interval of numbers(values.interval))
          for (const count of numbers(values.count)) {
            const schedule = {
              initialDelay: Number(values['initial-delay']),
              interval: interval ?? 10,
              count: count ?? 3,
              sampleTimeout: Number(values['sample-timeout']),
              undecidedPoll: Number(values['undecided-poll']),
            };
            /** @type {Record<string, string | number>} */
            const row = {
              ...(errorFloor === undefined ? {} : { 'errorRate minDifference': errorFloor }),
              ...(confidence === undefined ? {} : { confidence }),
              tolerance: tolerance ?? 'default',
              'min samples': minSamples ?? 50,
              schedule: `every ${schedule.interval}s ×${schedule.count}`,
            };
            let identicalFailed = 0;
            let identical = 0;
            for (const s of SCENARIOS) {
              const outcomes = [];
              for (const looks of trials.get(s.key) ?? []) {
                const judged = [];
                for (const look of looks) {
                  judged.push(
                    await judgeLook(look, metrics, against, against === 'baseline', {
                      ...(tolerance === undefined ? {} : { tolerance }),
                      ...(minSamples === undefined ? {} : { minSamples }),
                      ...(errorFloor === undefined ? {} : { errorMinDifference: errorFloor }),
                      ...(confidence === undefined ? {} : { confidence }),
                    }),
                  );
                }
                // `--undecided pass`: as before the judge told undecided passes apart, each one final.
                const settled =
                  values.undecided === 'pass'
                    ? judged.map((l) => ({
                        ...l,
                        metrics: l.metrics.map((m) => ({ ...m, tentative: false })),
                      }))
                    : judged;
                outcomes.push(engineVerdict(settled, schedule));
              }
              const failed = outcomes.filter((o) => o.verdict === 'fail');
              const paused = outcomes.filter((o) => o.verdict === 'inconclusive').length;
              const unfinished = outcomes.filter((o) => o.verdict === 'unfinished').length;
              if (s.regressed === undefined) {
                identicalFailed += failed.length;
                identical += outcomes.length;
              }
              row[s.key] =
                `${failed.length}/${outcomes.length}` +
                (paused > 0 ? ` (${paused} paused)` : '') +
                (unfinished > 0 ? ` (${unfinished} unfinished)` : '') +
                ` @${median(failed.map((o) => o.atS)) || '-'}s` +
                ` (pass @${median(outcomes.filter((o) => o.verdict === 'pass').map((o) => o.atS)) || '-'}s)`;
            }
            row['identical, all'] = `${identicalFailed}/${identical}`;
            rows.push(row);
          }
console.log(
  `${file}: ${[...trials.values()][0]?.length ?? 0} trials; judged against the ${against === 'warm' ? 'warm stable instance' : 'fresh baseline'}; per scenario: failed/trials (paused: inconclusive) @median seconds to a fail (and to a pass)`,
);
console.table(rows);
console.log(
  'typical request of the canary vs its baseline at the last recorded look (Hodges-Lehmann), median trial:',
);
console.table(
  SCENARIOS.map((s) => {
    const ratios = (trials.get(s.key) ?? []).flatMap((looks) => {
      const last = looks.at(-1)?.samples;
      const canary = last?.['latency:canary'] ?? [];
      const base = last?.[`latency:${against}`] ?? [];
      return canary.length > 0 && base.length > 0 ? [hodgesLehmannRatio(canary, base) - 1] : [];
    });
    const sorted = [...ratios].sort((a, b) => a - b);
    const pct = (/** @type {number | undefined} */ x) => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
    return {
      scenario: s.name,
      median: pct(median(sorted)),
      lowest: pct(sorted[0]),
      highest: pct(sorted.at(-1)),
    };
  }),
);
