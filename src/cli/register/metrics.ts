import type { Command } from 'commander';
import { jsonOption, READS_ONLY, type Runs } from '../define.js';

const command = (name: 'dora' | 'flow') => () =>
  import('../commands/metrics.js').then((m) => ({ default: m[name] }));

/** The window and scope options every metrics read shares. */
function scoped(cmd: Command): Command {
  return cmd
    .option('--service <name>', 'only this service (default: every service with the environment)')
    .option('--env <name>', 'the environment measured', 'production')
    .option(
      '--since <when>',
      'the window: this long back from now (e.g. 30d, 12w) or since a date (default 30d)',
    )
    .option('--from <when>', 'the window start: a date (2026-11-01) or a duration back; not with --since')
    .option('--to <when>', 'the window end, exclusive (default: now)')
    .option(
      '--utc-offset <±hh:mm>',
      "the team's calendar for deployment days and cumulative flow (default UTC)",
    )
    .addOption(jsonOption());
}

/** `flowline metrics`: the DORA keys and the value stream, from first-hand records. */
export function registerMetrics(program: Command, runs: Runs): void {
  const metrics = program
    .command('metrics')
    .description('delivery metrics: the five DORA keys and the value stream (docs/metrics.md)');
  scoped(
    metrics
      .command('dora', { isDefault: true })
      .description('the five DORA keys with their 2023 and 2024 clusters; --json lists the ids behind each'),
  )
    .option(
      '--commit-time <which>',
      'lead time starts at the git committer date (committed) or author date (authored)',
    )
    .action(runs(command('dora'), READS_ONLY));
  scoped(
    metrics
      .command('flow')
      .description(
        'the value stream: time per stage, batch sizes, work in progress, cumulative flow per day',
      ),
  ).action(runs(command('flow'), READS_ONLY));
}
