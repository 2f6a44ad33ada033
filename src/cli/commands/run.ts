import path from 'node:path';
import type { Run } from '../../catalog/index.js';
import { loadConfigSource } from '../../config/index.js';
import { EXIT_CODES, FlowlineError } from '../../core/errors.js';
import { compact } from '../../core/objects.js';
import { formatMillis } from '../../pipeline/index.js';
import type { CommandContext } from '../context.js';
import { age, renderTable, writeJson } from '../output.js';
import { executeRun, printReport, type RunFlags, type RunInput, withLocal } from './run-local.js';

/**
 * `flowline run`: the whole pipeline (or `--stages`) for the current commit. Exit 0 when it
 * passed, 1 when it failed or was cancelled. Progress goes to stderr: a live block on a terminal,
 * plain `[stage] line` output in CI or a pipe; the summary (or `--json` report) to stdout. With
 * FLOWLINE_URL the pipeline still runs here and is recorded on that server (run-remote.ts).
 */
export default async function run(ctx: CommandContext): Promise<number | undefined> {
  const flags = ctx.options as unknown as RunFlags;
  const file = path.resolve(ctx.settings.cwd, flags.config);
  const { config, text } = await loadConfigSource(file, flags.config);
  const only = flags.stages === undefined ? undefined : parseStages(flags.stages);
  const input: RunInput = { config, text, file, only, flags };
  if (ctx.settings.serverUrl !== undefined) {
    const { runRecorded } = await import('./run-remote.js');
    return runRecorded(ctx, input);
  }
  return withLocal(
    ctx.settings,
    async (app) => {
      const { report, live } = await executeRun(ctx, app, input);
      await printReport(ctx, report, live);
      return report.status === 'succeeded' ? EXIT_CODES.ok : EXIT_CODES.failed;
    },
    ctx.streams.stderr,
  );
}

/** `flowline runs`: the catalog's runs (works against a server too). */
export async function list(ctx: CommandContext): Promise<number | undefined> {
  const limit = Number(ctx.options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      `--limit \`${String(ctx.options.limit)}\` is not a whole number from 1 to 1000.`,
      {
        hint: 'e.g. --limit 50',
      },
    );
  }
  const service = ctx.options.service as string | undefined;
  const runs = await (await ctx.backend()).catalog.listRuns(compact({ service, limit }));
  if (ctx.json) writeJson(ctx.streams, { runs });
  else if (runs.length === 0) ctx.streams.stdout.write('No runs yet. Start one with `flowline run`.\n');
  else ctx.streams.stdout.write(`${renderTable(runs, RUN_COLUMNS)}\n`);
  return undefined;
}

const RUN_COLUMNS = [
  { header: 'id', value: (r: Run) => r.id },
  { header: 'service', value: (r: Run) => r.service },
  { header: 'status', value: (r: Run) => r.status },
  { header: 'branch', value: (r: Run) => r.branch ?? '-' },
  { header: 'commit', value: (r: Run) => r.commitSha?.slice(0, 12) ?? '-' },
  { header: 'where', value: (r: Run) => r.where.ci?.provider ?? r.where.host },
  { header: 'started', value: (r: Run) => age(r.startedAt) },
  {
    header: 'took',
    value: (r: Run) =>
      r.finishedAt === null
        ? '-'
        : formatMillis(new Date(r.finishedAt).getTime() - new Date(r.startedAt).getTime()),
  },
];

function parseStages(text: string): string[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) {
    throw new FlowlineError('FLOWLINE_USAGE', '--stages names no stage.', {
      hint: 'e.g. --stages unit,lint',
    });
  }
  return names;
}
