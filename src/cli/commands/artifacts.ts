import pc from 'picocolors';
import type { Flowline } from '../../app/flowline.js';
import type { Artifact } from '../../catalog/index.js';
import { FlowlineError } from '../../core/errors.js';
import { compact } from '../../core/objects.js';
import { counted } from '../../core/plural.js';
import type { CommandContext } from '../context.js';
import { openLocal } from '../local.js';
import { age, printable, renderTable, writeJson } from '../output.js';

/** `flowline artifacts`: what the catalog recorded (works against a server too). */
export async function list(ctx: CommandContext): Promise<number | undefined> {
  const service = ctx.options.service as string | undefined;
  const artifacts = await (await ctx.backend()).catalog.listArtifacts(compact({ service }));
  if (ctx.json) writeJson(ctx.streams, { artifacts });
  else if (artifacts.length === 0)
    ctx.streams.stdout.write('No artifacts yet. Run a pipeline to build one.\n');
  else ctx.streams.stdout.write(`${renderTable(artifacts, COLUMNS)}\n`);
  return undefined;
}

/** `flowline artifacts verify <digest>`: re-hashes the stored copy (the local store's, or the server's). */
export async function verify(ctx: CommandContext, digest: string): Promise<number | undefined> {
  const ref = await (await ctx.backend()).pipeline.verifyArtifact(digest);
  if (ctx.json) writeJson(ctx.streams, { ok: true, artifact: ref });
  else
    ctx.streams.stdout.write(
      `${pc.green('✔')} ${printable(ref.digest)} intact: ${counted(ref.files, 'file')}, ${formatBytes(ref.sizeBytes)}\n`,
    );
  return undefined;
}

/**
 * `flowline artifacts gc`: keeps every artifact a deployment used (rollbacks need them) or a run
 * of the last `--keep-days` built; the store itself also keeps anything stored in the last hour.
 */
export async function gc(ctx: CommandContext): Promise<number | undefined> {
  const keepDaysText = String(ctx.options.keepDays);
  const keepDays = Number(keepDaysText);
  if (!Number.isInteger(keepDays) || keepDays < 0 || keepDays > 36_500) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      `--keep-days \`${keepDaysText}\` is not a whole number of days.`,
      {
        hint: 'e.g. --keep-days 30 (0 keeps only what deployments use).',
      },
    );
  }
  const dryRun = ctx.options.dryRun === true;
  return withLocal(ctx, 'gc', async (flowline) => {
    const { referencedArtifacts } = await import('../../artifacts/index.js');
    const since = new Date(flowline.clock.now().getTime() - keepDays * 86_400_000).toISOString();
    const referenced = await referencedArtifacts(flowline.store.db, since);
    const result = await flowline.artifacts.gc((digest) => referenced.has(digest), { dryRun });
    if (!dryRun && result.removed.length > 0) {
      await flowline.audit.append({
        actor: flowline.localActor,
        action: 'artifacts.gc',
        target: 'artifacts',
        where: flowline.where,
        details: { removed: result.removed.length, freedBytes: result.freedBytes, keepDays },
      });
    }
    if (ctx.json) {
      writeJson(ctx.streams, { dryRun, keepDays, ...result });
      return undefined;
    }
    const count = counted(result.removed.length, 'artifact');
    const out = ctx.streams.stdout;
    if (result.removed.length === 0)
      out.write('Nothing to remove: every stored artifact is in use or recent.\n');
    else if (dryRun) {
      out.write(`Would remove ${count} (${formatBytes(result.freedBytes)}):\n`);
      for (const digest of result.removed) out.write(`  ${printable(digest)}\n`);
    } else out.write(`Removed ${count}, freed ${formatBytes(result.freedBytes)}.\n`);
    return undefined;
  });
}

/** Runs a command on this machine's store (gc: removing files is done where they are). */
async function withLocal(
  ctx: CommandContext,
  name: string,
  body: (flowline: Flowline) => Promise<number | undefined>,
): Promise<number | undefined> {
  if (ctx.settings.serverUrl !== undefined) {
    throw new FlowlineError(
      'FLOWLINE_NOT_SUPPORTED',
      `\`flowline artifacts ${name}\` is not supported against a server: it removes files from the server's disk.`,
      {
        hint: "Run it on the server's machine without --server/FLOWLINE_URL (--home names its state folder).",
      },
    );
  }
  // Nothing to collect in a store that does not exist: say so rather than make an empty one.
  const flowline = await openLocal(ctx.settings, { create: false });
  try {
    return await body(flowline);
  } finally {
    await flowline.close();
  }
}

/** `sha256:` and 12 hex digits: unique in practice, short enough for a table. */
function short(digest: string): string {
  return digest.slice(0, 19);
}

/** Decimal units, as disks and progress displays count: "42.0 MB". */
function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

const COLUMNS = [
  { header: 'digest', value: (a: Artifact) => short(a.id) },
  { header: 'service', value: (a: Artifact) => a.service },
  { header: 'commit', value: (a: Artifact) => a.commitSha?.slice(0, 7) ?? '-' },
  { header: 'cache key', value: (a: Artifact) => short(a.cacheKey) },
  { header: 'size', value: (a: Artifact) => formatBytes(a.sizeBytes) },
  { header: 'age', value: (a: Artifact) => age(a.createdAt) },
];
