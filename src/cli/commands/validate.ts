import path from 'node:path';
import pc from 'picocolors';
import { formatIssues, loadConfig } from '../../config/index.js';
import { EXIT_CODES } from '../../core/errors.js';
import type { CommandContext } from '../context.js';
import { writeJson } from '../output.js';

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
  if (result.warnings.length > 0)
    ctx.streams.stderr.write(`${formatIssues(result.warnings, { color: pc.isColorSupported })}\n`);
  if (!result.ok) {
    ctx.streams.stderr.write(`${formatIssues(result.errors, { color: pc.isColorSupported })}\n`);
    const n = result.errors.length;
    ctx.streams.stderr.write(`${pc.red('✘')} ${shown}: ${n} problem${n === 1 ? '' : 's'}\n`);
    return EXIT_CODES.input;
  }
  const c = result.config;
  ctx.streams.stdout.write(
    `${pc.green('✔')} ${shown} is valid: service ${pc.bold(c.service)}, ` +
      `${Object.keys(c.stages).length} stages, ${Object.keys(c.environments).length} environments, ` +
      `${Object.keys(c.flags).length} flags\n`,
  );
  return EXIT_CODES.ok;
}
