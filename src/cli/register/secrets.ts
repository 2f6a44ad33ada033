import { type Command, Option } from 'commander';
import { jsonOption, READS_ONLY, type Runs } from '../define.js';

const commands = () => import('../commands/secret.js');

/** Secrets: values per service and environment, set from stdin, listed by name only. */
export function registerSecrets(program: Command, runs: Runs): void {
  const secret = program
    .command('secret')
    .description('secret values per environment: set (from stdin), list (names only), rm');

  /** `--env` (required), `--service`, `--config`, `--json` on every command. */
  const common = (command: Command) =>
    command
      .addOption(new Option('--env <name>', 'the environment').makeOptionMandatory())
      .option('--service <name>', 'the service (default: from ./flowline.yaml)')
      .option('-c, --config <file>', 'where to read the service name from', 'flowline.yaml')
      .addOption(jsonOption());

  common(
    secret
      .command('set')
      .description('set a secret from stdin (piped, or typed hidden in a terminal); never from arguments')
      .argument('<name>', 'the environment variable it becomes, e.g. DATABASE_URL'),
  ).action(runs(() => commands().then((m) => ({ default: m.set }))));
  common(
    secret.command('list').description('the secrets of an environment: names, versions, who set them'),
  ).action(runs(() => commands().then((m) => ({ default: m.list })), READS_ONLY));
  common(secret.command('rm').description('remove a secret').argument('<name>')).action(
    runs(() => commands().then((m) => ({ default: m.remove }))),
  );
}
