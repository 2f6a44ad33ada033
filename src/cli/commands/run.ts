import path from 'node:path';
import pc from 'picocolors';
import type { Flowline } from '../../app/flowline.js';
import { detectCi } from '../../audit/index.js';
import type { Run } from '../../catalog/index.js';
import { type FlowlineConfig, loadConfigSource } from '../../config/index.js';
import { EXIT_CODES, FlowlineError } from '../../core/errors.js';
import { compact } from '../../core/objects.js';
import type { Settings } from '../../core/settings.js';
import {
  createProgress,
  formatMillis,
  parseLogLine,
  type RunObserver,
  type RunReport,
  readLogFrom,
  renderSummary,
  type SharedArtifactCache,
} from '../../pipeline/index.js';
import type { CommandContext } from '../context.js';
import { age, renderTable, writeJson } from '../output.js';

export interface RunFlags {
  stages?: string;
  config: string;
  cache: boolean;
  wait: boolean;
}

/** What `flowline run` was asked to run. */
export interface RunInput {
  readonly config: FlowlineConfig;
  /** The text of the config file, parsed into `config`: sealed into the artifact. */
  readonly text: string;
  readonly file: string;
  readonly only: string[] | undefined;
  readonly flags: RunFlags;
}

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
  return withLocal(ctx.settings, async (app) => {
    const { report, live } = await executeRun(ctx, app, input);
    await printReport(ctx, report, live);
    return report.status === 'succeeded' ? EXIT_CODES.ok : EXIT_CODES.failed;
  });
}

/** Extra parts of a run recorded on a server. */
export interface RunExtras {
  /** Sees every event after the progress display. */
  readonly observer?: RunObserver;
  readonly shared?: SharedArtifactCache;
  /** Cancels the run as Ctrl-C does (the recorder uses it when the server stops answering). */
  readonly cancel?: AbortController;
}

/** Runs the pipeline on `app` with a progress display and Ctrl-C handling; printing is the caller's. */
export async function executeRun(
  ctx: CommandContext,
  app: Flowline,
  input: RunInput,
  extras: RunExtras = {},
): Promise<{ report: RunReport; live: boolean }> {
  const stderr = ctx.streams.stderr as NodeJS.WriteStream;
  const live = !ctx.json && stderr.isTTY === true && detectCi(ctx.settings.env) === undefined;
  const color = pc.isColorSupported && !ctx.json;
  const progress = createProgress({
    stream: stderr,
    mode: live ? 'live' : 'plain',
    color,
    columns: stderr.columns ?? 100,
  });
  const cancel = extras.cancel ?? new AbortController();
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
  try {
    const report = await app.pipeline.run({
      config: input.config,
      configText: input.text,
      configPath: input.file,
      cwd: path.dirname(input.file),
      only: input.only,
      noCache: !input.flags.cache,
      wait: input.flags.wait,
      signal: cancel.signal,
      forceSignal: force.signal,
      observer: extras.observer === undefined ? progress : both(progress, extras.observer),
      ...(extras.shared === undefined ? {} : { shared: extras.shared }),
    });
    return { report, live };
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The summary (or the `--json` report) on stdout. */
export async function printReport(
  ctx: CommandContext,
  report: RunReport,
  live: boolean,
  extra: Record<string, unknown> = {},
): Promise<void> {
  if (ctx.json) {
    writeJson(ctx.streams, { ...report, ...extra });
    return;
  }
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

/** Hands every event to both observers. */
function both(a: RunObserver, b: RunObserver): RunObserver {
  return {
    waiting: (holder) => {
      a.waiting?.(holder);
      b.waiting?.(holder);
    },
    started: (run) => {
      a.started?.(run);
      b.started?.(run);
    },
    status: (node) => {
      a.status?.(node);
      b.status?.(node);
    },
    line: (node, text) => {
      a.line?.(node, text);
      b.line?.(node, text);
    },
    logged: (node, chunk) => {
      a.logged?.(node, chunk);
      b.logged?.(node, chunk);
    },
    finished: (report) => {
      a.finished?.(report);
      b.finished?.(report);
    },
  };
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

/** Runs `body` with the Flowline (store, pipeline, andon) under `settings.home`. */
export async function withLocal(
  settings: Settings,
  body: (app: Flowline) => Promise<number | undefined>,
): Promise<number | undefined> {
  const { createFlowline } = await import('../../app/flowline.js');
  const app = await createFlowline(settings);
  try {
    return await body(app);
  } finally {
    await app.close();
  }
}
