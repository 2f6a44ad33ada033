import { type Command, Option } from 'commander';
import type { CommandContext, CommandUse } from './context.js';

/** A command's implementation module, loaded only when the command runs. */
export type Loader = () => Promise<{
  default: (ctx: CommandContext, ...args: never[]) => Promise<number | undefined>;
}>;

/** Turns a loader into a commander action (see main.ts `runs`); `use` says how it uses the store. */
export type Runs = (load: Loader, use?: CommandUse) => (...args: unknown[]) => Promise<void>;

/**
 * For commands that only read (lists, status, logs, audit): run in a folder without a store they
 * say there is none (FLOWLINE_STORE_NOT_FOUND) instead of showing an empty, new one.
 */
export const READS_ONLY: CommandUse = { readsOnly: true };

/** Registers a part's commands on the program; these modules import nothing heavy. */
export type Register = (program: Command, runs: Runs) => void;

export function jsonOption(): Option {
  return new Option('--json', 'print machine-readable JSON on stdout');
}
