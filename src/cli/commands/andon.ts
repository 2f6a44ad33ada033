import path from 'node:path';
import pc from 'picocolors';
import type { AndonChange, AndonStatus } from '../../andon/index.js';
import { loadConfigOrThrow } from '../../config/index.js';
import { FlowlineError } from '../../core/errors.js';
import type { PipelineClient } from '../backend/types.js';
import type { CommandContext } from '../context.js';
import { age, printable, renderTable, writeJson } from '../output.js';

/** `flowline andon status [--service]`, on the local store or a server. */
export async function status(ctx: CommandContext): Promise<number | undefined> {
  const service = ctx.options.service as string | undefined;
  const list = await (await ctx.backend()).pipeline.andon(service);
  if (ctx.json) writeJson(ctx.streams, { andon: list });
  else if (list.length === 0)
    ctx.streams.stdout.write('No services yet. A service is registered by its first `flowline run`.\n');
  else ctx.streams.stdout.write(`${renderTable(list, COLUMNS)}\n`);
  return undefined;
}

/** `flowline andon pull --reason`: anyone may stop the line (on a server: any token that reads). */
export async function pull(ctx: CommandContext): Promise<number | undefined> {
  return change(ctx, 'pull', (client, service, reason) => client.pullAndon(service, reason));
}

/**
 * `flowline andon release --reason`: needs the admin role (embedded: the OS user owns the store,
 * so is admin; on a server: an admin token).
 */
export async function release(ctx: CommandContext): Promise<number | undefined> {
  return change(ctx, 'release', (client, service, reason) => client.releaseAndon(service, reason));
}

async function change(
  ctx: CommandContext,
  verb: 'pull' | 'release',
  act: (client: PipelineClient, service: string, reason: string) => Promise<AndonChange>,
): Promise<number | undefined> {
  const service = await serviceOf(ctx);
  const reason = String(ctx.options.reason ?? '');
  const { status: after, changed } = await act((await ctx.backend()).pipeline, service, reason);
  const name = printable(service);
  if (ctx.json) writeJson(ctx.streams, { andon: after, changed });
  else if (!changed)
    ctx.streams.stdout.write(`The trunk of ${name} is already ${printable(after.state)}; nothing changed.\n`);
  else
    ctx.streams.stdout.write(
      verb === 'pull'
        ? `${pc.red('■')} Pulled the andon cord of ${pc.bold(name)}: its trunk is red, promotions are stopped.\n`
        : `${pc.green('■')} Released the andon cord of ${pc.bold(name)}: its trunk is green again.\n`,
    );
  return undefined;
}

/** `--service`, else the `service` of the pipeline file. */
async function serviceOf(ctx: CommandContext): Promise<string> {
  const given = ctx.options.service as string | undefined;
  if (given !== undefined) return given;
  const shown = String(ctx.options.config ?? 'flowline.yaml');
  try {
    return (await loadConfigOrThrow(path.resolve(ctx.settings.cwd, shown), shown)).service;
  } catch (error) {
    if (error instanceof FlowlineError && error.code === 'FLOWLINE_CONFIG_NOT_FOUND') {
      throw new FlowlineError('FLOWLINE_USAGE', `Which service? ${shown} does not exist here.`, {
        hint: 'Pass --service <name>, or run it in the repository of the service.',
      });
    }
    throw error;
  }
}

const COLUMNS = [
  { header: 'service', value: (s: AndonStatus) => s.service },
  {
    header: 'trunk',
    value: (s: AndonStatus) => s.state,
    paint: (text: string, s: AndonStatus) => (s.state === 'red' ? pc.red(text) : pc.green(text)),
  },
  { header: 'since', value: (s: AndonStatus) => age(s.since) },
  { header: 'by', value: (s: AndonStatus) => s.actor ?? '-' },
  { header: 'run', value: (s: AndonStatus) => s.runId ?? '-' },
  { header: 'reason', value: (s: AndonStatus) => s.reason ?? '-' },
];
