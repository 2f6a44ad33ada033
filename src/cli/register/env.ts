import { type Command, Option } from 'commander';
import { jsonOption, READS_ONLY, type Runs } from '../define.js';

/** Environments: previews on demand (create, delete) and the list with health and drift. */
export function registerEnv(program: Command, runs: Runs): void {
  const env = program
    .command('env')
    .description('environments: list them with health and drift, create and delete previews');
  env
    .command('list')
    .description('list environments: URL, artifact, commit, health, age, expiry and drift')
    .option('--service <name>', 'only this service')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/env.js').then((m) => ({ default: m.list })), READS_ONLY));
  env
    .command('create')
    .description(
      'create a preview environment (pr-<n> or br-<branch>) and deploy to it; again: refresh its TTL',
    )
    .option('--branch <name>', 'the branch it previews (its newest built artifact is deployed)')
    .option('--pr <n>', 'the pull request it previews: named pr-<n>')
    .option('--ttl <duration>', "time to live, e.g. 72h (default: the template's ttl, else 72h)")
    .option('--artifact <digest>', 'artifact digest or prefix (default: the newest built from the branch)')
    .option('--service <name>', 'the service (default: from ./flowline.yaml)')
    .option('-c, --config <file>', 'where to read the service name from', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/env.js').then((m) => ({ default: m.create }))));
  env
    .command('delete')
    .description('tear an environment down: drain, stop its instances, remove its route')
    .argument('<name>', 'e.g. pr-12')
    .option('--service <name>', 'the service (default: from ./flowline.yaml)')
    .option('-c, --config <file>', 'where to read the service name from', 'flowline.yaml')
    .option('--force', 'also delete a persistent environment (needs the admin role)')
    .option(
      '--purge-data',
      "with --force: delete a persistent environment's data folder too (kept otherwise)",
    )
    .addOption(jsonOption())
    .action(runs(() => import('../commands/env.js').then((m) => ({ default: m.remove }))));

  const policy = env
    .command('policy')
    .description('what the server allows the service: trunk, and per environment gates, host, deploy role')
    .option('--service <name>', 'the service (default: from ./flowline.yaml)')
    .option('-c, --config <file>', 'where to read the service name from', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/policy.js').then((m) => ({ default: m.show })), READS_ONLY));
  policy
    .command('set')
    .description("change one environment's policy (admin; audited with the diff)")
    .argument('<env>', 'e.g. production')
    .option('--protected', 'deploys need a green trunk')
    .option('--no-protected', 'deploys do not need a green trunk')
    .option('--after <env>', 'only artifacts that succeeded in <env> first')
    .option('--no-after', 'no predecessor gate')
    .option('--host <name>', 'serve it on this host')
    .option('--no-host', 'serve it on <env>.<service>.localhost')
    .addOption(
      new Option('--deploy-role <role>', 'the least role that may deploy').choices(['deploy', 'admin']),
    )
    .option('--service <name>', 'the service (default: from ./flowline.yaml)')
    .option('-c, --config <file>', 'where to read the service name from', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/policy.js').then((m) => ({ default: m.set }))));
}
