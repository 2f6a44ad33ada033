import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pc from 'picocolors';
import { formatIssues, loadConfig } from '../../config/index.js';
import { EXIT_CODES, type Issue } from '../../core/errors.js';
import { counted } from '../../core/plural.js';
import type { CommandContext } from '../context.js';
import { printable, writeJson } from '../output.js';

export default async function validate(ctx: CommandContext, file: string): Promise<number | undefined> {
  const target = path.resolve(ctx.settings.cwd, file);
  const shown = file;
  const result = await loadConfig(target, shown);
  if (ctx.json) {
    writeJson(
      ctx.streams,
      result.ok ? { ok: true, file: shown, warnings: result.warnings } : { ...result, file: shown },
    );
    return result.ok ? EXIT_CODES.ok : EXIT_CODES.input;
  }
  // The file may come from anyone's branch: its text is quoted with control characters escaped.
  const source = await readFile(target, 'utf8').catch(() => undefined);
  const options = {
    color: pc.isColorSupported,
    ...(source === undefined
      ? {}
      : { sources: { [shown]: printable(source, { tabs: true, newlines: true }) } }),
  };
  const format = (issues: readonly Issue[]) => formatIssues(issues.map(printableIssue), options);
  if (result.warnings.length > 0) ctx.streams.stderr.write(`${format(result.warnings)}\n`);
  if (!result.ok) {
    ctx.streams.stderr.write(`${format(result.errors)}\n`);
    const n = result.errors.length;
    ctx.streams.stderr.write(`${pc.red('✘')} ${printable(shown)}: ${counted(n, 'problem')}\n`);
    return EXIT_CODES.input;
  }
  const c = result.config;
  ctx.streams.stdout.write(
    `${pc.green('✔')} ${printable(shown)} is valid: service ${pc.bold(printable(c.service))}, ` +
      `${counted(Object.keys(c.stages).length, 'stage')}, ${counted(Object.keys(c.environments).length, 'environment')}, ` +
      `${counted(Object.keys(c.flags).length, 'flag')}\n`,
  );
  return EXIT_CODES.ok;
}

/** An issue whose texts (they quote keys and values of the file) are safe to print. */
function printableIssue(issue: Issue): Issue {
  return {
    ...issue,
    message: printable(issue.message, { newlines: true }),
    ...(issue.path === undefined ? {} : { path: printable(issue.path) }),
    ...(issue.hint === undefined ? {} : { hint: printable(issue.hint, { newlines: true }) }),
  };
}
