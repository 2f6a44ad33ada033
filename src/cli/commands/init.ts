import path from 'node:path';
import pc from 'picocolors';
import { initConfig } from '../../config/index.js';
import { compact } from '../../core/objects.js';
import type { CommandContext } from '../context.js';
import { printable } from '../output.js';

export default async function init(ctx: CommandContext, dir: string): Promise<number | undefined> {
  const repo = path.resolve(ctx.settings.cwd, dir);
  const result = await initConfig(
    repo,
    compact({ force: ctx.options.force === true, service: ctx.options.service as string | undefined }),
  );
  const shown = printable(path.relative(ctx.settings.cwd, result.path) || result.path);
  ctx.streams.stdout.write(`${pc.green('✔')} wrote ${pc.bold(shown)}\n`);
  for (const line of result.detected)
    ctx.streams.stdout.write(`  ${pc.dim('detected:')} ${printable(line)}\n`);
  ctx.streams.stdout.write(`Next: review it, then run ${pc.bold(`flowline validate ${shown}`)}\n`);
  return undefined;
}
