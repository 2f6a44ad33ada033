import type { Command } from 'commander';
import { jsonOption, type Runs } from '../define.js';

/** Deploy and rollback: they need the server that runs the router and runtime. */
export function registerDeploy(program: Command, runs: Runs): void {
  program
    .command('deploy')
    .description("deploy an artifact to an environment with the environment's strategy")
    .argument('<environment>', 'e.g. staging, production, pr-12')
    .option(
      '--artifact <digest>',
      'artifact digest or prefix (default: what runs in the predecessor, else the newest)',
    )
    .option('-c, --config <file>', 'the flowline.yaml to deploy by', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/deploy.js').then((m) => ({ default: m.deploy }))));

  program
    .command('deployments')
    .description('list deployments, newest first')
    .option('--service <name>', 'only this service')
    .option('--env <name>', 'only this environment')
    .option('-n, --limit <n>', 'at most this many', '20')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/deploy.js').then((m) => ({ default: m.list }))));

  program
    .command('rollback')
    .description('return an environment to its previous good artifact at once (no analysis, no rebuild)')
    .argument('<environment>', 'e.g. production')
    .option('--service <name>', 'the service (default: from ./flowline.yaml)')
    .option('-c, --config <file>', 'where to read the service name from', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/deploy.js').then((m) => ({ default: m.rollback }))));
}
