import type { Command } from 'commander';
import { jsonOption, READS_ONLY, type Runs } from '../define.js';

const andon = (name: 'status' | 'pull' | 'release') => () =>
  import('../commands/andon.js').then((m) => ({ default: m[name] }));
const incident = (name: 'open' | 'ack' | 'resolve' | 'list') => () =>
  import('../commands/incident.js').then((m) => ({ default: m[name] }));

const report = (name: 'quality' | 'signoff') => () =>
  import('../commands/report.js').then((m) => ({ default: m[name] }));

/** The pipeline's commands: run, runs, logs, andon, incidents, the quality report. */
export function registerPipeline(program: Command, runs: Runs): void {
  program
    .command('run')
    .description('run the pipeline of flowline.yaml for the current commit: build once, test in parallel')
    .option('--stages <names>', 'only these stages (comma-separated) and what they need, e.g. unit,lint')
    .option('-c, --config <file>', 'the pipeline file', 'flowline.yaml')
    .option('--no-cache', 'build even when an artifact with the same inputs exists')
    .option('--no-wait', 'fail at once when another run holds the lock, instead of waiting')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/run.js')));

  program
    .command('runs')
    .description('list pipeline runs, newest first')
    .option('--service <name>', 'only this service')
    .option('-n, --limit <n>', 'at most this many runs', '20')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/run.js').then((m) => ({ default: m.list })), READS_ONLY));

  program
    .command('logs')
    .description('show the logs of a run, or of one of its stages')
    .argument('<run>', 'the run id (see `flowline runs`)')
    .argument('[stage]', 'only this stage')
    .option('-f, --follow', 'keep printing new lines until the run ends')
    .option(
      '--raw',
      'print lines as stored, control characters included (default: shown escaped, e.g. \\x1b)',
    )
    .addOption(jsonOption())
    .action(runs(() => import('../commands/logs.js'), READS_ONLY));

  const cord = program
    .command('andon')
    .description('the andon cord: a red trunk stops promotions to protected environments');
  cord
    .command('status', { isDefault: true })
    .description('show whether each service (or one) has a green or a red trunk, and why')
    .option('--service <name>', 'only this service')
    .addOption(jsonOption())
    .action(runs(andon('status'), READS_ONLY));
  cord
    .command('pull')
    .description('stop the line by hand: turn the trunk red (anyone may)')
    .requiredOption('--reason <text>', 'why, for the audit trail and for whoever is blocked')
    .option('--service <name>', 'the service (default: from flowline.yaml)')
    .option('-c, --config <file>', 'the pipeline file naming the service', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(andon('pull')));
  cord
    .command('release')
    .description('restart the line by hand: turn the trunk green (needs the admin role)')
    .requiredOption('--reason <text>', 'why it is safe, for the audit trail')
    .option('--service <name>', 'the service (default: from flowline.yaml)')
    .option('-c, --config <file>', 'the pipeline file naming the service', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(andon('release')));

  const incidents = program
    .command('incident')
    .description('incidents: problems users have in an environment, from opened to resolved');
  incidents
    .command('list', { isDefault: true })
    .description('list incidents, newest first (unresolved ones unless told otherwise)')
    .option('--service <name>', 'only this service')
    .option('--env <name>', 'only this environment')
    .option('--status <status>', 'open, acknowledged, resolved, unresolved (default) or all')
    .option('--all', 'resolved ones too (same as --status all)')
    .addOption(jsonOption())
    .action(runs(incident('list'), READS_ONLY));
  incidents
    .command('open')
    .description('open an incident (anyone who reads the environment may)')
    .requiredOption('--env <name>', 'the environment users have the problem in, e.g. production')
    .requiredOption('--title <text>', 'what users see')
    .option(
      '--deployment <id>',
      'the deployment known to have caused it (default: the last change, inferred)',
    )
    .option('--service <name>', 'the service (default: from flowline.yaml)')
    .option('-c, --config <file>', 'the pipeline file naming the service', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(incident('open')));
  incidents
    .command('ack')
    .description('acknowledge an incident: someone is on it (the deploy role)')
    .argument('<id>', 'inc_…')
    .addOption(jsonOption())
    .action(runs(incident('ack')));
  incidents
    .command('resolve')
    .description('resolve an incident: users are fine again; ends its recovery time (the deploy role)')
    .argument('<id>', 'inc_…')
    .option('--resolution <text>', 'what fixed it')
    .addOption(jsonOption())
    .action(runs(incident('resolve')));

  const reports = program
    .command('report')
    .description('the quality plan (QASP) of flowline.yaml assessed for a period: docs/quality.md');
  reports
    .command('quality', { isDefault: true })
    .description('assess every deliverable for the period: pass, fail or no data, with the evidence')
    .option('--period <YYYY-MM>', 'a calendar month (UTC), e.g. 2026-11')
    .option('--from <date>', 'instead of --period: the start (a date, or a duration back from now)')
    .option('--to <date>', 'with --from: the end (default now)')
    .option('--service <name>', 'the service (default: from flowline.yaml)')
    .option('-c, --config <file>', 'the pipeline file naming the service', 'flowline.yaml')
    .option('--format <format>', 'md, html or json', 'md')
    .option('-o, --out <file>', 'write the report to this file instead of stdout')
    .addOption(jsonOption())
    .action(runs(report('quality'), READS_ONLY));
  reports
    .command('signoff')
    .description('record who signed off (or rejected) a manual deliverable for a month (the deploy role)')
    .argument('<deliverable>', 'the id of a manual deliverable in flowline.yaml')
    .requiredOption('--period <YYYY-MM>', 'the month signed off, e.g. 2026-11')
    .requiredOption('--by <name>', 'who signs it off, as the report shows it')
    .option('--note <text>', 'what was reviewed, or why it was rejected')
    .option('--reject', 'record that it does not meet its standard')
    .option('--service <name>', 'the service (default: from flowline.yaml)')
    .option('-c, --config <file>', 'the pipeline file naming the service', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(report('signoff')));
}
