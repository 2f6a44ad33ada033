import pc from 'picocolors';
import type { ReleaseStatus } from '../backend/types.js';
import type { CommandContext } from '../context.js';
import { printable, writeJson } from '../output.js';
import { serviceOf } from './deploy.js';
import { watchRelease } from './release-watch.js';

/**
 * `flowline release status <env> [--watch]`: the release's phase, traffic split and journal.
 * `--watch` follows it until it ends, across restarts of the server (release-watch.ts); with
 * `--json` it then prints the last status as one document.
 */
export async function status(ctx: CommandContext, environment: string): Promise<number | undefined> {
  const service = await serviceOf(ctx);
  const backend = await ctx.backend();
  if (ctx.options.watch !== true) {
    const current = await backend.releaseStatus(service, environment, 30);
    if (ctx.json) writeJson(ctx.streams, current);
    else print(ctx, current, current.journal);
    return undefined;
  }
  const out = ctx.streams.stdout;
  const last = await watchRelease({
    environment,
    read: () => backend.releaseStatus(service, environment, 500),
    onRelease: (current) => {
      if (!ctx.json) print(ctx, current, []);
    },
    onLines: (lines) => {
      if (!ctx.json) for (const line of lines) out.write(journalLine(line));
    },
    notice: (text) => ctx.streams.stderr.write(`${pc.yellow('!')} ${printable(text, { newlines: true })}`),
  });
  if (ctx.json) {
    writeJson(ctx.streams, last);
    return undefined;
  }
  const { status: outcome, reason } = last.deployment;
  out.write(`${printable(outcome)}${reason ? `: ${printable(reason, { tabs: true })}` : ''}\n`);
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
