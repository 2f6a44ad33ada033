import path from 'node:path';
import pc from 'picocolors';
import { parseHead, readAnchorFile } from '../../audit/index.js';
import type { AuditEvent, AuditFilter, AuditHead } from '../../audit/types.js';
import { ERROR_CODES, EXIT_CODES, FlowlineError } from '../../core/errors.js';
import { compact } from '../../core/objects.js';
import { counted } from '../../core/plural.js';
import { parseWhen } from '../../core/time.js';
import type { CommandContext } from '../context.js';
import { printable, renderTable, writeError, writeJson } from '../output.js';

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

interface VerifyOptions {
  head: string[];
  anchor: string[];
}

/**
 * `flowline audit verify [--head <seq:hash>]… [--anchor FILE]…`: the chain is intact, and
 * contains every head saved outside the store. Without saved heads it says it verified
 * internally only: a chain rewritten whole, head record included, passes that.
 */
export async function verify(ctx: CommandContext): Promise<number | undefined> {
  const opts = ctx.options as unknown as VerifyOptions;
  const saved = opts.head.map((text) => parseHead(text));
  for (const file of opts.anchor) saved.push(...(await readAnchorFile(path.resolve(ctx.settings.cwd, file))));
  const anchors = distinct(saved);
  const result = await (await ctx.backend()).verifyAudit(anchors);
  if (ctx.json) writeJson(ctx.streams, result);
  else if (result.ok) {
    const newest = anchors.reduce((max, a) => Math.max(max, a.seq), 0);
    const against =
      result.anchored === 0
        ? ''
        : `; it contains the ${counted(result.anchored, 'saved head')} given (newest #${newest})`;
    ctx.streams.stdout.write(
      `${pc.green('✔')} audit chain intact: ${counted(result.events, 'event')}, head ${printable(result.headHash.slice(0, 16))}…${against}\n`,
    );
  } else {
    writeError(
      ctx.streams,
      new FlowlineError(result.code, result.message, { hint: ERROR_CODES[result.code].fix }),
      false,
    );
  }
  if (result.ok && result.anchored === 0) {
    ctx.streams.stderr.write(
      `${pc.yellow('⚠')} verified internally only: whoever can write the store could have rewritten the whole chain and its head record.\n` +
        '  Check it against heads saved elsewhere: --head <seq:hash> (from `flowline audit head`) or --anchor FILE (FLOWLINE_AUDIT_ANCHOR of `flowline serve`).\n',
    );
  }
  return result.ok ? EXIT_CODES.ok : EXIT_CODES.failed;
}

/** `flowline audit head`: the chain's head as `<seq>:<hash>`, ready for `audit verify --head`. */
export async function head(ctx: CommandContext): Promise<number | undefined> {
  const current = await (await ctx.backend()).auditHead();
  if (ctx.json) writeJson(ctx.streams, current);
  else ctx.streams.stdout.write(`${current.seq}:${current.hash}\n`);
  return undefined;
}

/** Each (seq, hash) once: an anchor file may repeat a head, e.g. across restarts. */
function distinct(heads: readonly AuditHead[]): AuditHead[] {
  const seen = new Set<string>();
  return heads.filter(({ seq, hash }) => {
    const key = `${seq}:${hash}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
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
