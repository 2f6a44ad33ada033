import type { Service } from '../../catalog/index.js';
import type { CommandContext } from '../context.js';
import { age, renderTable, writeJson } from '../output.js';

export async function services(ctx: CommandContext): Promise<number | undefined> {
  const list = await (await ctx.backend()).catalog.listServices();
  if (ctx.json) writeJson(ctx.streams, { services: list });
  else if (list.length === 0)
    ctx.streams.stdout.write('No services yet. Register one by running its pipeline.\n');
  else
    ctx.streams.stdout.write(
      `${renderTable(list, [
        { header: 'name', value: (s: Service) => s.name },
        { header: 'config', value: (s: Service) => s.configPath ?? '-' },
        { header: 'created', value: (s: Service) => age(s.createdAt) },
      ])}\n`,
    );
  return undefined;
}
