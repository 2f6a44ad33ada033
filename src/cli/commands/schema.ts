import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { configJsonSchema } from '../../config/index.js';
import type { CommandContext } from '../context.js';

export default async function schema(ctx: CommandContext): Promise<number | undefined> {
  const text = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
  const out = ctx.options.out;
  if (typeof out === 'string') {
    const target = path.resolve(ctx.settings.cwd, out);
    await writeFile(target, text);
    ctx.streams.stderr.write(
      `Wrote ${out}. Point your editor at it with a first line in flowline.yaml:\n` +
        `# yaml-language-server: $schema=${path.relative(ctx.settings.cwd, target) || out}\n`,
    );
  } else {
    ctx.streams.stdout.write(text);
  }
  return undefined;
}
