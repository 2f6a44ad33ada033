import { Command, CommanderError } from 'commander';
import { flowlineVersion } from '../core/version.js';
import type { CommandContext, CommandUse, GlobalOptions } from './context.js';
import type { Loader, Register } from './define.js';
import { registerArtifacts } from './register/artifacts.js';
import { registerDeploy } from './register/deploy.js';
import { registerEnv } from './register/env.js';
import { registerFlags } from './register/flags.js';
import { registerFoundation } from './register/foundation.js';
import { registerHistory } from './register/history.js';
import { registerMetrics } from './register/metrics.js';
import { registerPipeline } from './register/pipeline.js';
import { registerSecrets } from './register/secrets.js';

/**
 * The CLI's entry point. It only declares commands: each command's code is imported when that
 * command runs, so `flowline --help` loads commander and nothing else (see bench/cli-startup).
 */

/** Each part registers its commands (src/cli/register/); order is the order of `--help`. */
const REGISTERS: readonly Register[] = [
  registerFoundation,
  registerPipeline,
  registerDeploy,
  registerEnv,
  registerFlags,
  registerSecrets,
  registerArtifacts,
  registerMetrics,
  registerHistory,
];

const EXIT_HELP = `
Exit codes:
  0  success                 4  conflict with current state
  1  the operation failed    5  not authenticated / not allowed
  2  invalid input or usage  6  unavailable (server, store, port)
  3  not found               7  not supported here     70 internal error

Environment:
  FLOWLINE_URL     talk to this server instead of the local store (same as --server)
  FLOWLINE_TOKEN   bearer token for the server (same as --token)
  FLOWLINE_HOME    state folder of the embedded mode (default ./.flowline)
  NO_COLOR         plain output
`;

/** Wires a command to its lazily loaded implementation. */
function runs(load: Loader, use: CommandUse = {}) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args.at(-1) as Command;
    const { createContext } = await import('./context.js');
    const ctx = createContext(
      command.optsWithGlobals<GlobalOptions & Record<string, unknown>>(),
      undefined,
      undefined,
      use,
    );
    const impl = (await load()).default as (
      ctx: CommandContext,
      ...rest: unknown[]
    ) => Promise<number | undefined>;
    process.exitCode = await ctx.guard(() => impl(ctx, ...args.slice(0, -1)));
  };
}

export function buildProgram(): Command {
  const program = new Command('flowline')
    .description(
      'Commit to production on one self-hosted program: pipeline, deploys, releases, flags, metrics.',
    )
    .version(flowlineVersion(), '-V, --version')
    .option('--server <url>', 'Flowline server to talk to (default: FLOWLINE_URL, else the local store)')
    .option('--token <token>', 'bearer token for --server (prefer FLOWLINE_TOKEN: arguments show in `ps`)')
    .option('--home <dir>', 'state folder of the embedded mode (default: FLOWLINE_HOME or ./.flowline)')
    .addHelpText('after', EXIT_HELP)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  for (const register of REGISTERS) register(program, runs);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  // `flowline audit | head` closes our stdout early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed the message already; help and version are successes.
      const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      process.exitCode = ok ? 0 : 2;
      return;
    }
    throw error;
  }
}

await main(process.argv);
