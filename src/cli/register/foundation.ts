import { type Command, Option } from 'commander';
import { jsonOption, READS_ONLY, type Runs } from '../define.js';

/** Collects a repeatable option's values. */
const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The foundation's commands: config, server, tokens, audit, catalog reads, demo. */
export function registerFoundation(program: Command, runs: Runs): void {
  program
    .command('init')
    .description('write a starter flowline.yaml for the repo (reads package.json scripts)')
    .argument('[dir]', 'the repo folder', '.')
    .option('--service <name>', 'service name (default: from package.json or the folder name)')
    .option('--force', 'overwrite an existing flowline.yaml')
    .action(runs(() => import('../commands/init.js')));

  program
    .command('validate')
    .description('check a flowline.yaml and report every problem with file:line:col')
    .argument('[file]', 'the file to check', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/validate.js')));

  const config = program
    .command('config')
    .description(
      "the server's policy from flowline.yaml: trunk, gates, hosts (what a deploy is checked against)",
    );
  config
    .command('plan')
    .description("show what applying flowline.yaml's policy would change on the server")
    .option('-c, --config <file>', 'the flowline.yaml', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/policy.js').then((m) => ({ default: m.plan }))));
  config
    .command('apply')
    .description("make flowline.yaml's policy the server's (admin; audited with the diff)")
    .option('-c, --config <file>', 'the flowline.yaml', 'flowline.yaml')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/policy.js').then((m) => ({ default: m.apply }))));

  program
    .command('schema')
    .description('print the JSON Schema of flowline.yaml (for editor autocompletion)')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(runs(() => import('../commands/schema.js')));

  program
    .command('serve')
    .alias('up')
    .description('run Flowline: the API, the router and the process supervisor, on the local store')
    .option('-p, --port <port>', 'API port', '7420')
    .option(
      '--router-port <port>',
      'router port: environments answer at http://<env>.<service>.localhost:<port>',
      '8080',
    )
    .option('--host <host>', 'address to bind (0.0.0.0 to expose beyond this machine)', '127.0.0.1')
    .option(
      '--keep-instances',
      'on exit, leave the router and the service instances running for the next start to adopt',
    )
    .addOption(new Option('--reap-interval <duration>', 'how often expired previews are deleted').hideHelp())
    .addHelpText(
      'after',
      `
Environment:
  FLOWLINE_CORS_ORIGINS    origins whose pages may read flags (browser provider), e.g. https://shop.example
  FLOWLINE_RUNNER_TIMEOUT  silence after which a run recorded from CI is marked failed (default 10m)
  FLOWLINE_AUDIT_ANCHOR    file to which the audit chain's head is appended every minute (when it
                           changed) and at stop; check with \`flowline audit verify --anchor FILE\``,
    )
    .action(runs(() => import('../commands/serve.js')));

  const token = program.command('token').description('manage API tokens (create, list, revoke)');
  token
    .command('create')
    .description('create a token; its secret is printed once and never again')
    .argument('<name>', 'a name for the token, e.g. ci-bot')
    .addOption(
      new Option('--role <role>', 'what it may do')
        .choices(['client', 'read', 'ci', 'deploy', 'admin'])
        .makeOptionMandatory(),
    )
    .option('--env <names...>', 'limit the token to these environments (required for --role client)')
    .option('--expires <when>', 'expiry: a duration (30d, 12h) or an ISO date')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/token.js').then((m) => ({ default: m.create }))));
  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--all', 'include revoked tokens')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/token.js').then((m) => ({ default: m.list })), READS_ONLY));
  token
    .command('revoke')
    .description('revoke a token by id or name')
    .argument('<token>', 'id or name')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/token.js').then((m) => ({ default: m.revoke }))));

  const audit = program
    .command('audit')
    .description('list audit events, newest first (see also: audit verify)')
    .option(
      '--action <pattern>',
      "only actions starting with this (token), or matching a glob ('env.*', '*.fail')",
    )
    .option('--actor <name>', 'only this actor')
    .option('--target <pattern>', "only targets starting with this, or matching a glob ('env:shop/*')")
    .option('--since <when>', 'only events at or after (ISO date or a duration like 24h)')
    .option('--until <when>', 'only events before (ISO date or a duration like 1h)')
    .option('-n, --limit <n>', 'at most this many events', '50')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/audit.js').then((m) => ({ default: m.list })), READS_ONLY));
  audit
    .command('verify')
    .description(
      'prove the audit chain intact and containing the heads saved elsewhere, or name the first altered, missing or rewritten event',
    )
    .option('--head <seq:hash>', 'a head saved elsewhere (`flowline audit head`); repeatable', collect, [])
    .option(
      '--anchor <file>',
      'an anchor file (FLOWLINE_AUDIT_ANCHOR of `flowline serve`): every line is checked; repeatable',
      collect,
      [],
    )
    .addOption(jsonOption())
    .action(runs(() => import('../commands/audit.js').then((m) => ({ default: m.verify })), READS_ONLY));
  audit
    .command('head')
    .description("print the audit chain's head as <seq>:<hash>, to save outside the store")
    .addOption(jsonOption())
    .action(runs(() => import('../commands/audit.js').then((m) => ({ default: m.head })), READS_ONLY));

  program
    .command('services')
    .description('list services known to Flowline')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/catalog.js').then((m) => ({ default: m.services })), READS_ONLY));

  program
    .command('whoami')
    .description('show who you act as, and with which role')
    .addOption(jsonOption())
    .action(runs(() => import('../commands/whoami.js'), READS_ONLY));

  program
    .command('demo')
    .description('the README demo: run the example pipeline, deploy staging, promote production, serve')
    .option('-p, --port <port>', 'API port', '7420')
    .option('--router-port <port>', 'router port', '8080')
    .action(runs(() => import('../commands/demo.js')));
}
