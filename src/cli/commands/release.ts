import pc from 'picocolors';
import type { ReleaseStatus } from '../backend/types.js';
import type { CommandContext } from '../context.js';
import { writeJson } from '../output.js';
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
    for (const line of fresh) ctx.streams.stdout.write(`${pc.dim(line.at.slice(11, 19))} ${line.message}\n`);
    seen = current.journal.length;
    last = current;
    if (current.phase === null) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  ctx.streams.stdout.write(
    `${last.deployment.status}${last.deployment.reason ? `: ${last.deployment.reason}` : ''}\n`,
  );
  return undefined;
}

function print(ctx: CommandContext, s: ReleaseStatus, journal: ReleaseStatus['journal']): void {
  const d = s.deployment;
  const split = s.traffic.map((b) => `${b.revision} ${b.weight}%`).join(' · ') || 'no traffic';
  const out = ctx.streams.stdout;
  out.write(
    `${pc.bold(`${d.service}/${d.environment}`)}  ${d.id}  ${d.strategy}  ${colour(d.status)}${s.phase ? ` (${s.phase})` : ''}\n`,
  );
  out.write(
    `  artifact ${d.artifactId.replace('sha256:', '').slice(0, 12)}   traffic ${split}${s.host ? `   http://${s.host}` : ''}\n`,
  );
  if (d.reason) out.write(`  ${pc.red('why:')} ${d.reason}\n`);
  for (const line of journal) out.write(`  ${pc.dim(line.at.slice(11, 19))} ${line.message}\n`);
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
        `${pc.green('✔')} ${action}${ctx.options.full === true ? ' --full' : ''} sent to ${result.deploymentId}\n`,
      );
    return undefined;
  };
}
