import path from 'node:path';
import pc from 'picocolors';
import type { Flowline } from '../../app/flowline.js';
import { detectCi } from '../../audit/index.js';
import type { FlowlineConfig } from '../../config/index.js';
import type { Settings } from '../../core/settings.js';
import {
  createProgress,
  parseLogLine,
  type RunObserver,
  type RunReport,
  readLogFrom,
  renderSummary,
  type SharedArtifactCache,
} from '../../pipeline/index.js';
import type { CommandContext } from '../context.js';
import { openLocal } from '../local.js';
import { flushed, writeJson } from '../output.js';

/**
 * Running a pipeline on this machine, shared by `flowline run` (run.ts) and its recorded variant
 * (run-remote.ts). It sits below both so that neither imports the other's module back.
 */

/** The options of `flowline run`, as commander parsed them. */
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

/** Extra parts of a run recorded on a server. */
export interface RunExtras {
  /** Sees every event after the progress display. */
  readonly observer?: RunObserver;
  readonly shared?: SharedArtifactCache;
  /** Cancels the run as Ctrl-C does (the recorder uses it when the server stops answering). */
  readonly cancel?: AbortController;
  /** Where the git walk may stop (the server's record of the service's commits). */
  readonly knownCommits?: (service: string) => Promise<string[]>;
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
      ...(extras.knownCommits === undefined ? {} : { knownCommits: extras.knownCommits }),
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
  // After the stage logs on stderr, also when both streams are one pipe.
  await flushed(ctx.streams.stderr);
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
    history: (history) => {
      a.history?.(history);
      b.history?.(history);
    },
    quality: (measurements) => {
      a.quality?.(measurements);
      b.quality?.(measurements);
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

/**
 * Runs `body` with the Flowline (store, pipeline, andon) under `settings.home`; a store made for
 * it is announced on `notices` (none for a scratch store the user never sees).
 */
export async function withLocal(
  settings: Settings,
  body: (app: Flowline) => Promise<number | undefined>,
  notices?: NodeJS.WritableStream,
): Promise<number | undefined> {
  const app = await openLocal(settings, notices === undefined ? {} : { notices });
  try {
    return await body(app);
  } finally {
    await app.close();
  }
}
