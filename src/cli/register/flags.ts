import { type Command, Option } from 'commander';
import { jsonOption, READS_ONLY, type Runs } from '../define.js';

const commands = () => import('../commands/flags.js');
const plans = () => import('../commands/flags-plan.js');
const triggers = () => import('../commands/flags-triggers.js');

/** Feature flags: read and change them per environment, plan/apply flowline.yaml, triggers, hygiene. */
export function registerFlags(program: Command, runs: Runs): void {
  const flags = program
    .command('flags')
    .description('feature flags: list, change, kill; plan/apply flowline.yaml; triggers; stale flags');

  /** `--service`, `--config`, `--json` on every command; `--env` required where it names one set. */
  const common = (command: Command, env: 'required' | 'optional') =>
    command
      .addOption(
        env === 'required'
          ? new Option('--env <name>', 'the environment').makeOptionMandatory()
          : new Option('--env <name>', 'only this environment'),
      )
      .option('--service <name>', 'the service (default: from ./flowline.yaml)')
      .option('-c, --config <file>', 'the flowline.yaml to read', 'flowline.yaml')
      .addOption(jsonOption());

  common(
    flags.command('list').description('the flags of every environment (or one): state, serving, activity'),
    'optional',
  ).action(runs(() => commands().then((m) => ({ default: m.list })), READS_ONLY));
  common(
    flags.command('get').description("one flag's definition and evaluation counts").argument('<flag>'),
    'required',
  ).action(runs(() => commands().then((m) => ({ default: m.get })), READS_ONLY));
  common(
    flags
      .command('set')
      .description("create or replace one flag's definition from a JSON file")
      .argument('<flag>'),
    'required',
  )
    .requiredOption('--file <file>', 'the flag definition as JSON (docs/flags.md, "The model")')
    .action(runs(() => commands().then((m) => ({ default: m.set }))));
  for (const [action, text] of [
    ['enable', 'turn a flag on (its rules and rollout apply)'],
    ['disable', 'turn a flag off (everyone gets its default variant)'],
    ['unkill', 'lift the kill switch'],
  ] as const) {
    common(flags.command(action).description(text).argument('<flag>'), 'required').action(
      runs(() => commands().then((m) => ({ default: m.act(action) }))),
    );
  }
  common(
    flags
      .command('kill')
      .description('pull the kill switch: wins over everything, schedules included')
      .argument('<flag>'),
    'required',
  )
    .option('--variant <name>', 'serve this variant while killed (default: the default variant)')
    .action(runs(() => commands().then((m) => ({ default: m.act('kill') }))));
  common(
    flags.command('history').description('versions of the flag set: who changed which flags'),
    'required',
  )
    .option('-n, --limit <n>', 'at most this many', '20')
    .action(runs(() => commands().then((m) => ({ default: m.history })), READS_ONLY));

  common(
    flags
      .command('plan')
      .description("show how the server's flags differ from flowline.yaml (+ create, ~ update, - delete)"),
    'optional',
  )
    .option('--out <file>', 'save the plan, to apply exactly it later with `flowline flags apply <file>`')
    .option('--detailed-exitcode', 'exit 0: no changes, 2: changes, 1: error (as terraform plan)')
    .action(runs(() => plans().then((m) => ({ default: m.plan }))));
  common(
    flags
      .command('apply')
      .description('apply the plan (a saved one, or computed now): refused if the server changed since')
      .argument('[planfile]', 'a plan saved by `flowline flags plan --out`'),
    'optional',
  )
    .option('-y, --yes', 'apply without asking')
    .action(runs(() => plans().then((m) => ({ default: m.apply }))));

  common(
    flags
      .command('stale')
      .description('temporary flags to remove: expired, or fully on/off everywhere and unchanged'),
    'optional',
  )
    .option('--days <n>', 'how long a settled flag must be unchanged', '30')
    .action(runs(() => commands().then((m) => ({ default: m.stale })), READS_ONLY));
  common(
    flags
      .command('import')
      .description('import flags from flagd JSON or an Unleash export into an environment')
      .argument('<file>'),
    'required',
  )
    .addOption(
      new Option('--from <format>', 'the file format').choices(['flagd', 'unleash']).makeOptionMandatory(),
    )
    .option('--unleash-env <name>', 'the Unleash environment of an admin export holding several')
    .option('--replace', 'replace the whole flag set (default: add and update the imported flags only)')
    .action(runs(() => commands().then((m) => ({ default: m.importFlags }))));
  common(flags.command('export').description("print an environment's flags as flagd JSON"), 'required')
    .addOption(new Option('--to <format>', 'the format').choices(['flagd']).makeOptionMandatory())
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(runs(() => commands().then((m) => ({ default: m.exportFlags })), READS_ONLY));

  const trigger = flags
    .command('trigger')
    .description('what kills a flag automatically: Alertmanager alerts, signed webhooks');
  common(
    trigger.command('add').description('add a trigger (a webhook secret is printed once)').argument('<name>'),
    'required',
  )
    .requiredOption('--flag <key>', 'the flag it kills')
    .addOption(
      new Option('--on <kind>', 'what fires it').choices(['alertmanager', 'webhook']).makeOptionMandatory(),
    )
    .option('--match <label=value...>', 'alert labels that must all match (alertmanager)')
    .option('--variant <name>', 'serve this variant while killed (default: the default variant)')
    .option('--restore', 'lift the kill when the alert resolves (or a `resolved` webhook arrives)')
    .action(runs(() => triggers().then((m) => ({ default: m.triggerAdd }))));
  common(trigger.command('list').description('the triggers of an environment'), 'required').action(
    runs(() => triggers().then((m) => ({ default: m.triggerList })), READS_ONLY),
  );
  common(trigger.command('remove').description('remove a trigger').argument('<name>'), 'required').action(
    runs(() => triggers().then((m) => ({ default: m.triggerRemove }))),
  );
}
