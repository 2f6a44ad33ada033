import path from 'node:path';
import pc from 'picocolors';
import type { Flowline } from '../../app/flowline.js';
import { detectCi } from '../../audit/index.js';
import type { Run } from '../../catalog/index.js';
import { loadConfigOrThrow } from '../../config/index.js';
import { EXIT_CODES, FlowlineError } from '../../core/errors.js';
import { compact } from '../../core/objects.js';
import {
  createProgress,
  formatMillis,
  parseLogLine,
  readLogFrom,
  renderSummary,
} from '../../pipeline/index.js';
import type { CommandContext } from '../context.js';
import { age, renderTable, writeJson } from '../output.js';

interface RunFlags {
  stages?: string;
  config: string;
  cache: boolean;
  wait: boolean;
}

/**
 * `flowline run`: the whole pipeline (or `--stages`) for the current commit. Exit 0 when it
 * passed, 1 when it failed or was cancelled. Progress goes to stderr: a live block on a terminal,
 * plain `[stage] line` output in CI or a pipe; the summary (or `--json` report) to stdout.
 */
export default async function run(ctx: CommandContext): Promise<number | undefined> {
  const flags = ctx.options as unknown as RunFlags;
  const file = path.resolve(ctx.settings.cwd, flags.config);
  const config = await loadConfigOrThrow(file, flags.config);
  const only = flags.stages === undefined ? undefined : parseStages(flags.stages);
  return withLocal(ctx, 'run', async (app) => {
    const stderr = ctx.streams.stderr as NodeJS.WriteStream;
    const live = !ctx.json && stderr.isTTY === true && detectCi(ctx.settings.env) === undefined;
    const color = pc.isColorSupported && !ctx.json;
    const progress = createProgress({
      stream: stderr,
      mode: live ? 'live' : 'plain',
      color,
      columns: stderr.columns ?? 100,
    });
    const cancel = new AbortController();
    const force = new AbortController();
    const onSignal = () => {
      if (cancel.signal.aborted) {
        force.abort();
        return;
      }
      stderr.write(
        `\n${pc.yellow('cancelling: stopping the stages, then running finally (again to stop that too)…')}\n`,
      );
      cancel.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let report: Awaited<ReturnType<Flowline['pipeline']['run']>>;
    try {
      report = await app.pipeline.run({
        config,
        configPath: file,
        cwd: path.dirname(file),
        only,
        noCache: !flags.cache,
        wait: flags.wait,
        signal: cancel.signal,
        forceSignal: force.signal,
        observer: progress,
      });
    } finally {
      progress.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (ctx.json) writeJson(ctx.streams, report);
    else {
      // On a terminal the live block showed only last lines: print failures in full. Plain output had them.
      const failures = new Map<string, string[]>();
      if (live) {
        for (const stage of report.stages) {
          if (stage.status !== 'failed' || stage.logPath === null) continue;
          const { lines } = await readLogFrom(stage.logPath, 0);
          failures.set(
            stage.name,
            lines.map((line) => parseLogLine(line).text),
          );
        }
      }
      ctx.streams.stdout.write(renderSummary(report, failures, pc.isColorSupported));
    }
    return report.status === 'succeeded' ? EXIT_CODES.ok : EXIT_CODES.failed;
  });
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

/**
 * Runs `body` with the local Flowline (store, pipeline, andon). These commands act on this
 * machine — its processes, log files and lock — so they do not run against a server.
 */
export async function withLocal(
  ctx: CommandContext,
  name: string,
  body: (app: Flowline) => Promise<number | undefined>,
): Promise<number | undefined> {
  if (ctx.settings.serverUrl !== undefined) {
    throw new FlowlineError(
      'FLOWLINE_NOT_SUPPORTED',
      `\`flowline ${name}\` works on the local store only; it is not supported against a server yet.`,
      {
        hint: 'Run it without --server/FLOWLINE_URL (--home names the state folder).',
      },
    );
  }
  const { createFlowline } = await import('../../app/flowline.js');
  const app = await createFlowline(ctx.settings);
  try {
    return await body(app);
  } finally {
    await app.close();
  }
}
