import { type Command, Option } from 'commander';
import { jsonOption, type Runs } from '../define.js';

const load = (name: 'deployments' | 'incidents' | 'commits') => () =>
  import('../commands/history-import.js').then((m) => ({
    default:
      name === 'commits'
        ? m.importCommits
        : (ctx: Parameters<typeof m.importFile>[0], file: string) => m.importFile(ctx, name, file),
  }));

/**
 * `flowline history import …`: deployments, incidents and commits from before Flowline, so the
 * metrics mean something on the first day (docs/metrics.md, "Importing history"). Its own
 * command group, beside `flowline metrics`, which reads what this writes.
 */
export function registerHistory(program: Command, runs: Runs): void {
  const imports = program
    .command('history')
    .description('history from before Flowline: past deployments, incidents and commits')
    .command('import')
    .description('import history (admin); every imported record is marked imported');
  const format = () =>
    new Option('--format <format>', 'csv or json (default: from the extension)').choices(['csv', 'json']);
  imports
    .command('deployments')
    .description('import past deployments from a CSV or JSON file, whole or not at all')
    .argument('<file>', 'the file (columns in docs/metrics.md)')
    .option('--service <name>', 'the service of rows that name none')
    .addOption(format())
    .addOption(jsonOption())
    .action(runs(load('deployments')));
  imports
    .command('incidents')
    .description('import past incidents from a CSV or JSON file, whole or not at all')
    .argument('<file>', 'the file (columns in docs/metrics.md)')
    .option('--service <name>', 'the service of rows that name none')
    .addOption(format())
    .addOption(jsonOption())
    .action(runs(load('incidents')));
  imports
    .command('commits')
    .description("import a repository's git history, so imported deployments get lead times")
    .option('--repo <path>', 'a clone of the service repository', '.')
    .option('--service <name>', 'the service (default: from flowline.yaml)')
    .option('-c, --config <file>', 'the pipeline file naming the service', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(load('commits')));
}
