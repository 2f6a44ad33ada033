import type { Command } from 'commander';
import { jsonOption, READS_ONLY, type Runs } from '../define.js';

const load = (name: 'list' | 'verify' | 'gc') => () =>
  import('../commands/artifacts.js').then((m) => ({ default: m[name] }));

/** `flowline artifacts`: list (from the catalog), verify and gc (the local store). */
export function registerArtifacts(program: Command, runs: Runs): void {
  const artifacts = program
    .command('artifacts')
    .description('list build artifacts, newest first (see also: artifacts verify, artifacts gc)')
    .option('--service <name>', 'only this service')
    .addOption(jsonOption())
    .action(runs(load('list'), READS_ONLY));

  artifacts
    .command('verify')
    .description("re-hash a stored artifact's files and name the first one that differs from its manifest")
    .argument('<digest>', 'sha256:<hex>, or a unique prefix of it (as `flowline artifacts` shows)')
    .addOption(jsonOption())
    .action(runs(load('verify'), READS_ONLY));

  artifacts
    .command('gc')
    .description('remove stored artifacts that no deployment uses and no recent run built')
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('--keep-days <days>', 'keep artifacts built by runs started in the last <days> days', '14')
    .addOption(jsonOption())
    .action(runs(load('gc')));
}
