import pc from 'picocolors';
import type { ReleaseStatus } from '../backend/types.js';
import type { CommandContext } from '../context.js';
import { printable, writeJson } from '../output.js';
import { serviceOf } from './deploy.js';

/** `flowline release status <env> [--watch]`: the release's phase, traffic split and journal. */
export async function status(ctx: CommandContext, environment: string): Promise<number | undefined> {
  const service = await serviceOf(ctx);
  const backend = await ctx.backend();
  if (ctx.options.watch !== true) {
    const current = await backend.releaseStatus(service, environment, 30);
    if (ctx.json) writeJson(ctx.streams, current);
    else print(ctx, current, current.journal);
    return undefined;
  }
  // Live: print new journal lines as they come, until the release ends (or Ctrl-C).
  let seen = 0;
  let last: ReleaseStatus | undefined;
  for (;;) {
    const current = await backend.releaseStatus(service, environment, 500);
    const fresh = current.journal.slice(last?.deployment.id === current.deployment.id ? seen : 0);
    if (last === undefined) print(ctx, current, []);
    for (const line of fresh) ctx.streams.stdout.write(journalLine(line));
    seen = current.journal.length;
    last = current;
    if (current.phase === null) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const { status: outcome, reason } = last.deployment;
  ctx.streams.stdout.write(
    `${printable(outcome)}${reason ? `: ${printable(reason, { tabs: true })}` : ''}\n`,
  );
  return undefined;
}

/** A journal line; its message quotes instances and analyses (their output), so it is made printable. */
function journalLine(line: ReleaseStatus['journal'][number], indent = ''): string {
  return `${indent}${pc.dim(printable(line.at.slice(11, 19)))} ${printable(line.message, { tabs: true })}\n`;
}

function print(ctx: CommandContext, s: ReleaseStatus, journal: ReleaseStatus['journal']): void {
  // Everything here comes from the server's records.
  const d = s.deployment;
  const split = s.traffic.map((b) => `${b.revision} ${b.weight}%`).join(' · ') || 'no traffic';
  const out = ctx.streams.stdout;
  const head = `${printable(d.id)}  ${printable(d.strategy)}  ${colour(printable(d.status))}${s.phase ? ` (${printable(s.phase)})` : ''}`;
  out.write(`${pc.bold(printable(`${d.service}/${d.environment}`))}  ${head}\n`);
  out.write(
    `  artifact ${printable(d.artifactId.replace('sha256:', '').slice(0, 12))}   traffic ${printable(split)}${s.url ? `   ${printable(s.url)}` : ''}\n`,
  );
  if (d.reason) out.write(`  ${pc.red('why:')} ${printable(d.reason, { tabs: true })}\n`);
  for (const line of journal) out.write(journalLine(line, '  '));
}

function colour(status: string): string {
  if (status === 'succeeded') return pc.green(status);
  if (status === 'failed' || status === 'rolled_back') return pc.red(status);
  return pc.yellow(status);
}

/** `flowline release promote|pause|resume|abort <env>`. */
export function control(action: 'promote' | 'pause' | 'resume' | 'abort') {
  return async (ctx: CommandContext, environment: string): Promise<number | undefined> => {
    const service = await serviceOf(ctx);
    const result = await (await ctx.backend()).releaseControl(
      service,
      environment,
      action,
      ctx.options.full === true,
    );
    if (ctx.json) writeJson(ctx.streams, { action, ...result });
    else
      ctx.streams.stdout.write(
        `${pc.green('✔')} ${action}${ctx.options.full === true ? ' --full' : ''} sent to ${printable(result.deploymentId)}\n`,
      );
    return undefined;
  };
}
