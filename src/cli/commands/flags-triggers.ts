import pc from 'picocolors';
import { FlowlineError } from '../../core/errors.js';
import type { TriggerInfo } from '../../flags/service/index.js';
import type { CommandContext } from '../context.js';
import { age, printable, renderTable, writeJson } from '../output.js';
import { target } from './flags.js';

/** `flowline flags trigger add|list|remove`: what kills a flag on an alert or a signed webhook. */

/** `flowline flags trigger add <name> --env e --flag f --on alertmanager|webhook …`. */
export async function triggerAdd(ctx: CommandContext, name: string): Promise<number | undefined> {
  const { service, environment } = await target(ctx);
  const match: Record<string, string> = {};
  for (const pair of (ctx.options.match as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new FlowlineError('FLOWLINE_USAGE', `--match \`${pair}\` is not label=value.`, {
        hint: 'e.g. --match alertname=HighErrorRate',
      });
    match[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const variant = ctx.options.variant as string | undefined;
  const created = await (await ctx.backend()).flags.addTrigger({
    service,
    environment,
    name,
    kind: ctx.options.on as 'alertmanager' | 'webhook',
    flag: String(ctx.options.flag),
    match,
    ...(variant === undefined ? {} : { variant }),
    restore: ctx.options.restore === true,
  });
  if (ctx.json) {
    writeJson(ctx.streams, created);
    return undefined;
  }
  const t = created.trigger;
  const where = printable(`${service}/${environment}`);
  ctx.streams.stdout.write(
    `${pc.green('✔')} trigger ${pc.bold(printable(t.name))}: ${printable(describeTrigger(t))}\n`,
  );
  if (t.kind === 'alertmanager')
    ctx.streams.stdout.write(
      `  Alertmanager webhook URL: <server>/v1/hooks/alertmanager/${where} (with a deploy token)\n`,
    );
  if (created.secret !== undefined) {
    ctx.streams.stdout.write(
      `  POST <server>/v1/hooks/flags/${where}, signed with:\n\n  ${printable(created.secret)}\n\n` +
        `${pc.yellow('Copy it now: it is shown once.')} Signing: docs/flags.md, "Signed webhooks".\n`,
    );
  }
  return undefined;
}

export async function triggerList(ctx: CommandContext): Promise<number | undefined> {
  const { service, environment } = await target(ctx);
  const triggers = await (await ctx.backend()).flags.listTriggers(service, environment);
  if (ctx.json) writeJson(ctx.streams, { triggers });
  else if (triggers.length === 0)
    ctx.streams.stdout.write(`No triggers for ${printable(`${service}/${environment}`)}.\n`);
  else
    ctx.streams.stdout.write(
      `${renderTable(triggers, [
        { header: 'name', value: (t) => t.name },
        { header: 'does', value: describeTrigger },
        { header: 'state', value: (t) => (t.state === 'fired' ? `fired ${age(t.firedAt)}` : 'idle') },
      ])}\n`,
    );
  return undefined;
}

export async function triggerRemove(ctx: CommandContext, name: string): Promise<number | undefined> {
  const { service, environment } = await target(ctx);
  const trigger = await (await ctx.backend()).flags.removeTrigger(service, environment, name);
  if (ctx.json) writeJson(ctx.streams, { trigger });
  else
    ctx.streams.stdout.write(
      `Removed trigger ${pc.bold(printable(trigger.name))} (${printable(describeTrigger(trigger))}).\n`,
    );
  return undefined;
}

function describeTrigger(t: TriggerInfo): string {
  const on =
    t.kind === 'alertmanager'
      ? `alert ${Object.entries(t.match)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}`
      : 'signed webhook';
  return `on ${on} kill ${t.flag}${t.variant === undefined ? '' : ` → ${t.variant}`}${t.restore ? ', restore when resolved' : ''}`;
}
