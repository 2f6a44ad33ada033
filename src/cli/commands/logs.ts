import { setTimeout as sleep } from 'node:timers/promises';
import pc from 'picocolors';
import { FlowlineError, isFlowlineError } from '../../core/errors.js';
import { parseLogLine } from '../../pipeline/index.js';
import type { StageView } from '../backend/types.js';
import type { CommandContext } from '../context.js';
import { printable, writeJson } from '../output.js';

const FOLLOW_POLL_MS = 200;

/**
 * `flowline logs RUN [STAGE]`: the stored, masked output of a run's stages, from the local store
 * or from a server (FLOWLINE_URL). Several stages are printed one after the other with a
 * `[stage]` prefix; `--follow` keeps printing as lines are written (by a run in another process,
 * or, on a server, as a CI machine streams them there) until the run has finished.
 * Lines are shown with control characters escaped (a log may come from any machine that records
 * runs, and must not drive the reader's terminal); `--raw` prints them as they were stored.
 */
export default async function logs(
  ctx: CommandContext,
  runId: string,
  stage?: string,
): Promise<number | undefined> {
  const follow = ctx.options.follow === true;
  const raw = ctx.options.raw === true;
  if (raw && ctx.json) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      '--raw prints the stored text as it is and cannot be combined with --json.',
      {
        hint: '--json already carries the exact text of each line (JSON-escaped).',
      },
    );
  }
  if (follow && ctx.json) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      '--follow prints lines as they come and cannot be combined with --json.',
      {
        hint: 'Use --json on a finished run, or --follow without --json.',
      },
    );
  }
  const client = (await ctx.backend()).pipeline;
  const { run, stages: all } = await client.run(runId);
  const stages = stage === undefined ? all : all.filter((s) => s.name === stage);
  if (stages.length === 0 && stage !== undefined) {
    throw new FlowlineError('FLOWLINE_NOT_FOUND', `Run ${runId} has no stage named ${stage}.`, {
      hint: `Its stages: ${all.map((s) => s.name).join(', ') || '(none)'}.`,
    });
  }
  const offsets = new Map(stages.map((s) => [s.name, 0]));
  /** Reads each stage's new lines, page by page until none are left. */
  const drain = async (each: (s: StageView, lines: readonly string[]) => void) => {
    for (const s of stages) {
      for (;;) {
        const read = await client.readLog(runId, s.name, offsets.get(s.name) ?? 0);
        offsets.set(s.name, read.offset);
        if (read.lines.length === 0) break;
        each(s, read.lines);
      }
    }
  };
  if (ctx.json) {
    const collected = new Map<string, string[]>(stages.map((s) => [s.name, []]));
    await drain((s, lines) => collected.get(s.name)?.push(...lines));
    writeJson(ctx.streams, {
      run,
      stages: stages.map((s) => ({ ...s, lines: (collected.get(s.name) ?? []).map(parseLogLine) })),
    });
    return undefined;
  }
  const prefixed = stages.length > 1;
  const shown = (text: string) => (raw ? text : printable(text, { tabs: true }));
  const print = (s: StageView, lines: readonly string[]) => {
    for (const line of lines) {
      const { text } = parseLogLine(line);
      ctx.streams.stdout.write(
        prefixed ? `${pc.dim(`[${printable(s.name)}]`)} ${shown(text)}\n` : `${shown(text)}\n`,
      );
    }
  };
  await drain(print);
  if (!follow) return undefined;
  for (;;) {
    // A run deleted meanwhile has finished; a server gone away is an error (exit 6), not the end.
    const now = await client.run(runId).catch((error: unknown) => {
      if (isFlowlineError(error) && error.code === 'FLOWLINE_NOT_FOUND') return undefined;
      throw error;
    });
    const finished = now === undefined || (now.run.status !== 'running' && now.run.status !== 'queued');
    await drain(print);
    if (finished) return undefined;
    await sleep(FOLLOW_POLL_MS);
  }
}
