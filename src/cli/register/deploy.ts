import type { Command } from 'commander';
import { jsonOption, READS_ONLY, type Runs } from '../define.js';

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
    .option('--service <name>', 'the service (default: from ./flowline.yaml)')
    .option(
      '-c, --config <file>',
      "where to read the service name from (what runs comes from the artifact's own flowline.yaml)",
      'flowline.yaml',
    )
    .option('--hotfix', 'an unplanned deployment that fixes a problem users have (counted as rework)')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/deploy.js').then((m) => ({ default: m.deploy }))));

  const release = program
    .command('release')
    .description('watch and steer a release: status, promote, pause, resume, abort');
  const withService = (c: Command) =>
    c
      .argument('<environment>', 'e.g. production')
      .option('--service <name>', 'the service (default: from ./flowline.yaml)')
      .option('-c, --config <file>', 'where to read the service name from', 'flowline.yaml')
      .addOption(jsonOption());
  withService(release.command('status').description("the release's phase, traffic split and journal"))
    .option('-w, --watch', 'follow the journal live until the release ends (through server restarts)')
    .action(runs(() => import('../commands/release.js').then((m) => ({ default: m.status }))));
  withService(
    release.command('promote').description('go past the current pause; --full skips every remaining step'),
  )
    .option('--full', 'promote to 100% now')
    .action(runs(() => import('../commands/release.js').then((m) => ({ default: m.control('promote') }))));
  for (const [action, text] of [
    ['pause', 'hold the release at its current step'],
    ['resume', 'continue a paused release'],
    ['abort', 'send all traffic back to stable at once and stop the canary'],
  ] as const) {
    withService(release.command(action).description(text)).action(
      runs(() => import('../commands/release.js').then((m) => ({ default: m.control(action) }))),
    );
  }

  program
    .command('deployments')
    .description('list deployments, newest first')
    .option('--service <name>', 'only this service')
    .option('--env <name>', 'only this environment')
    .option('-n, --limit <n>', 'at most this many', '20')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/deploy.js').then((m) => ({ default: m.list })), READS_ONLY));

  program
    .command('rollback')
    .description('return an environment to its previous good artifact at once (no analysis, no rebuild)')
    .argument('<environment>', 'e.g. production')
    .option('--service <name>', 'the service (default: from ./flowline.yaml)')
    .option('-c, --config <file>', 'where to read the service name from', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/deploy.js').then((m) => ({ default: m.rollback }))));
}
