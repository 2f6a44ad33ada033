import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pc from 'picocolors';
import { FlowlineError } from '../../core/errors.js';
import { compact } from '../../core/objects.js';
import { checkMonth, parsePeriod, renderHtml, renderMarkdown } from '../../quality/index.js';
import type { PeriodInput } from '../backend/quality.js';
import type { CommandContext } from '../context.js';
import { printable, writeJson } from '../output.js';
import { serviceOf } from './deploy.js';

const FORMATS = ['md', 'html', 'json'] as const;

/**
 * `flowline report [--period YYYY-MM | --from D [--to D]] [--service S] [--format md|html|json] [-o file]`:
 * the quality plan assessed for the period. The period is checked here first, so a reversed window
 * is refused the same way embedded and against a server.
 */
export async function quality(ctx: CommandContext): Promise<number | undefined> {
  const format = ctx.json ? 'json' : String(ctx.options.format ?? 'md');
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      `--format \`${printable(format)}\` is not one of ${FORMATS.join(', ')}.`,
      {
        hint: 'e.g. --format html -o report.html',
        location: { path: '--format' },
      },
    );
  }
  const input: PeriodInput = compact({
    period: ctx.options.period as string | undefined,
    from: ctx.options.from as string | undefined,
    to: ctx.options.to as string | undefined,
  });
  parsePeriod(input, new Date());
  const service = await serviceOf(ctx);
  const report = await (await ctx.backend()).quality.report(service, input);
  const text =
    format === 'json'
      ? `${JSON.stringify({ report }, null, 2)}\n`
      : format === 'html'
        ? renderHtml(report)
        : renderMarkdown(report);
  const out = ctx.options.out;
  if (typeof out === 'string') {
    await writeFile(path.resolve(ctx.settings.cwd, out), text);
    const { pass, fail } = report.summary;
    ctx.streams.stderr.write(
      `Wrote ${out}: ${pass} pass, ${fail} fail, ${report.summary['no data']} no data of ${report.deliverables.length} deliverables.\n`,
    );
  } else ctx.streams.stdout.write(text);
  return undefined;
}

/** `flowline report signoff <deliverable> --period YYYY-MM --by "name" [--note …] [--reject]`. */
export async function signoff(ctx: CommandContext, deliverable: string): Promise<number | undefined> {
  const period = checkMonth(String(ctx.options.period));
  const service = await serviceOf(ctx);
  const note = ctx.options.note as string | undefined;
  const recorded = await (await ctx.backend()).quality.signoff({
    service,
    deliverable,
    period,
    verdict: ctx.options.reject === true ? 'rejected' : 'accepted',
    signedBy: String(ctx.options.by),
    ...(note === undefined ? {} : { note }),
  });
  if (ctx.json) writeJson(ctx.streams, { signoff: recorded });
  else {
    const mark = recorded.verdict === 'accepted' ? pc.green('●') : pc.red('●');
    ctx.streams.stdout.write(
      `${mark} ${printable(recorded.signedBy)} ${recorded.verdict} ${printable(deliverable)} of ${printable(service)} for ${period} (${recorded.id}).\n`,
    );
  }
  return undefined;
}
