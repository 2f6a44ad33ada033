import { setTimeout as sleep } from 'node:timers/promises';
import pc from 'picocolors';
import { FlowlineError } from '../../core/errors.js';
import { type NodeResult, parseLogLine, readLogFrom } from '../../pipeline/index.js';
import type { CommandContext } from '../context.js';
import { writeJson } from '../output.js';
import { withLocal } from './run.js';

const FOLLOW_POLL_MS = 200;

/**
 * `flowline logs RUN [STAGE]`: the stored, masked output of a run's stages. Several stages are
 * printed one after the other with a `[stage]` prefix; `--follow` keeps printing as lines are
 * written (by a run in another process) until the run has finished.
 */
export default async function logs(
  ctx: CommandContext,
  runId: string,
  stage?: string,
): Promise<number | undefined> {
  const follow = ctx.options.follow === true;
  if (follow && ctx.json) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      '--follow prints lines as they come and cannot be combined with --json.',
      {
        hint: 'Use --json on a finished run, or --follow without --json.',
      },
    );
  }
  return withLocal(ctx, 'logs', async (app) => {
    const run = await app.catalog.findRun(runId);
    if (run === undefined) {
      throw new FlowlineError('FLOWLINE_NOT_FOUND', `No run has the id ${runId}.`, {
        hint: 'See the runs with `flowline runs`.',
      });
    }
    const all = await app.pipeline.stages(runId);
    const stages = stage === undefined ? all : all.filter((s) => s.name === stage);
    if (stages.length === 0 && stage !== undefined) {
      throw new FlowlineError('FLOWLINE_NOT_FOUND', `Run ${runId} has no stage named ${stage}.`, {
        hint: `Its stages: ${all.map((s) => s.name).join(', ') || '(none)'}.`,
      });
    }
    if (ctx.json) {
      const withLines = [];
      for (const s of stages) {
        const { lines } = s.logPath === null ? { lines: [] } : await readLogFrom(s.logPath, 0);
        withLines.push({ ...s, lines: lines.map(parseLogLine) });
      }
      writeJson(ctx.streams, { run, stages: withLines });
      return undefined;
    }
    const prefixed = stages.length > 1;
    const print = (s: NodeResult, lines: readonly string[]) => {
      for (const raw of lines) {
        const { text } = parseLogLine(raw);
        ctx.streams.stdout.write(prefixed ? `${pc.dim(`[${s.name}]`)} ${text}\n` : `${text}\n`);
      }
    };
    const offsets = new Map(stages.map((s) => [s.name, 0]));
    const drain = async () => {
      for (const s of stages) {
        if (s.logPath === null) continue;
        const read = await readLogFrom(s.logPath, offsets.get(s.name) ?? 0);
        offsets.set(s.name, read.offset);
        print(s, read.lines);
      }
    };
    await drain();
    if (!follow) return undefined;
    for (;;) {
      const now = await app.catalog.findRun(runId);
      const finished = now === undefined || (now.status !== 'running' && now.status !== 'queued');
      await drain();
      if (finished) return undefined;
      await sleep(FOLLOW_POLL_MS);
    }
  });
}
