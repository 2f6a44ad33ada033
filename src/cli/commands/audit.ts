import pc from 'picocolors';
import type { AuditEvent, AuditFilter } from '../../audit/types.js';
import { EXIT_CODES, FlowlineError } from '../../core/errors.js';
import { compact } from '../../core/objects.js';
import { parseWhen } from '../../core/time.js';
import type { CommandContext } from '../context.js';
import { printable, renderTable, writeJson } from '../output.js';

interface ListOptions {
  action?: string;
  actor?: string;
  target?: string;
  since?: string;
  until?: string;
  limit: string;
}

export async function list(ctx: CommandContext): Promise<number | undefined> {
  const opts = ctx.options as unknown as ListOptions;
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      `--limit \`${opts.limit}\` is not a whole number from 1 to 1000.`,
      {
        hint: 'e.g. --limit 200',
      },
    );
  }
  const now = new Date();
  const filter: AuditFilter = compact({
    action: opts.action,
    actor: opts.actor,
    target: opts.target,
    since: opts.since === undefined ? undefined : parseWhen(opts.since, now, 'past', '--since'),
    until: opts.until === undefined ? undefined : parseWhen(opts.until, now, 'past', '--until'),
    limit,
  });
  const events = await (await ctx.backend()).listAudit(filter);
  if (ctx.json) {
    writeJson(ctx.streams, { events });
    return undefined;
  }
  if (events.length === 0) {
    ctx.streams.stdout.write('No audit events match.\n');
    return undefined;
  }
  ctx.streams.stdout.write(`${renderTable(events, EVENT_COLUMNS)}\n`);
  return undefined;
}

export async function verify(ctx: CommandContext): Promise<number | undefined> {
  const result = await (await ctx.backend()).verifyAudit();
  if (ctx.json) writeJson(ctx.streams, result);
  else if (result.ok) {
    ctx.streams.stdout.write(
      `${pc.green('✔')} audit chain intact: ${result.events} event${result.events === 1 ? '' : 's'}, head ${printable(result.headHash.slice(0, 16))}…\n`,
    );
  } else {
    ctx.streams.stderr.write(
      `${pc.red('✘')} audit chain broken: ${printable(result.message, { newlines: true })}\n`,
    );
  }
  return result.ok ? EXIT_CODES.ok : EXIT_CODES.failed;
}

function where(e: AuditEvent): string {
  const ci =
    e.where.ci === undefined
      ? ''
      : ` (${e.where.ci.provider}${e.where.ci.runId ? ` #${e.where.ci.runId}` : ''})`;
  return e.where.host + ci;
}

const EVENT_COLUMNS = [
  { header: 'seq', value: (e: AuditEvent) => String(e.seq) },
  { header: 'at', value: (e: AuditEvent) => e.at.replace('T', ' ').slice(0, 19) },
  { header: 'actor', value: (e: AuditEvent) => `${e.actor.kind}:${e.actor.name}` },
  { header: 'action', value: (e: AuditEvent) => e.action },
  { header: 'target', value: (e: AuditEvent) => e.target },
  { header: 'where', value: where },
];
