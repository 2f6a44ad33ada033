import { type Command, Option } from 'commander';
import type { CommandContext } from './context.js';

/** A command's implementation module, loaded only when the command runs. */
export type Loader = () => Promise<{
  default: (ctx: CommandContext, ...args: never[]) => Promise<number | undefined>;
}>;

/** Turns a loader into a commander action (see main.ts `runs`). */
export type Runs = (load: Loader) => (...args: unknown[]) => Promise<void>;

/** Registers a part's commands on the program; these modules import nothing heavy. */
export type Register = (program: Command, runs: Runs) => void;

export function jsonOption(): Option {
  return new Option('--json', 'print machine-readable JSON on stdout');
}
