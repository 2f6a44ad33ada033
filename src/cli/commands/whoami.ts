import type { CommandContext } from '../context.js';
import { printable, writeJson } from '../output.js';

export default async function whoami(ctx: CommandContext): Promise<number | undefined> {
  const backend = await ctx.backend();
  const me = await backend.whoami();
  if (ctx.json) writeJson(ctx.streams, { ...me, mode: backend.mode, location: backend.location });
  else {
    const scope = me.environments === null ? 'all environments' : me.environments.join(', ');
    ctx.streams.stdout.write(
      `${printable(`${me.actor.kind}:${me.actor.name}, role ${me.role} on ${scope}`)}\n` +
        `${backend.mode === 'embedded' ? 'store' : 'server'}: ${printable(backend.location)}\n`,
    );
  }
  return undefined;
}
