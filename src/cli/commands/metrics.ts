import pc from 'picocolors';
import { FlowlineError } from '../../core/errors.js';
import { counted } from '../../core/plural.js';
import { formatDuration } from '../../core/time.js';
import type {
  ClusterAssignment,
  DoraReport,
  DurationSummary,
  FlowReport,
  MetricsRequest,
} from '../../metrics/index.js';
import { metricsQuery } from '../../metrics/index.js';
import type { CommandContext } from '../context.js';
import { printable, renderTable, writeJson } from '../output.js';

/** The request the options describe, checked here so a typo is named as the user typed it. */
function requestOf(ctx: CommandContext): MetricsRequest {
  const o = ctx.options;
  const text = (name: string) => (o[name] === undefined ? undefined : String(o[name]));
  const commitTime = text('commitTime');
  if (commitTime !== undefined && commitTime !== 'committed' && commitTime !== 'authored') {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      `--commit-time \`${printable(commitTime)}\` is not committed or authored.`,
      {
        hint: 'Lead time starts at the git committer date (committed, the default) or the author date (authored).',
        location: { path: '--commit-time' },
      },
    );
  }
  const request: MetricsRequest = Object.fromEntries(
    Object.entries({
      service: text('service'),
      environment: text('env'),
      since: text('since'),
      from: text('from'),
      to: text('to'),
      utcOffset: text('utcOffset'),
      commitTime,
    }).filter(([, v]) => v !== undefined),
  );
  metricsQuery(request, new Date()); // refuses a bad window or offset before any call
  return request;
}

const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);
/** Days, hours and minutes (`1d 1h 30m`): lead and recovery times are read in days and hours. */
export function duration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 60_000) return formatDuration(Math.round(ms / 1000) * 1000);
  const minutes = Math.round(ms / 60_000);
  const parts: [number, string][] = [
    [Math.floor(minutes / 1440), 'd'],
    [Math.floor((minutes % 1440) / 60), 'h'],
    [minutes % 60, 'm'],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join(' ');
}
const durations = (s: DurationSummary) => `median ${duration(s.medianMs)}, p90 ${duration(s.p90Ms)}`;
const day = (iso: string) => iso.slice(0, 16).replace('T', ' ');

function clusters(list: readonly ClusterAssignment[]): string {
  return list
    .map((c) => `${c.report}: ${c.cluster === null ? pc.dim(`none (${c.reason})`) : pc.bold(c.cluster)}`)
    .join(' · ');
}

/** One key: its figure, what it is computed over, its clusters, and (dimmed) its definition. */
function key(
  name: string,
  figure: string,
  over: string,
  list: readonly ClusterAssignment[],
  definition: string,
) {
  return `${pc.bold(name)}: ${figure}\n  over ${over}\n  ${clusters(list)}\n  ${pc.dim(definition)}\n`;
}

/** One service's keys as text (docs/metrics.md shows it; a test renders the doc's example). */
export function doraText(r: DoraReport): string {
  const f = r.deploymentFrequency;
  const l = r.changeLeadTime;
  const c = r.changeFailRate;
  const t = r.recoveryTime;
  const w = r.reworkRate;
  const open = t.open.length === 0 ? '' : `, ${pc.red(`${t.open.length} not recovered yet`)}`;
  return [
    pc.bold(`${printable(r.scope.service)}/${printable(r.scope.environment)}`) +
      pc.dim(`  ${day(r.window.from)} → ${day(r.window.to)} UTC`),
    key(
      'Deployment frequency',
      `${f.perDay.toFixed(2)} per day, ${f.perWeek.toFixed(1)} per week, ${f.deploymentDaysPerWeek.toFixed(1)} deployment days per week (${f.bucket})`,
      `${counted(f.count, 'deployment')} (${counted(f.rollbacks, 'rollback')})`,
      f.clusters,
      f.definition,
    ),
    key('Change lead time', durations(l), `${l.count} commits`, l.clusters, l.definition),
    key(
      'Change fail rate',
      `${percent(c.rate)} (${c.failures.length} needed intervention${c.inferredOnly > 0 ? `, ${c.inferredOnly} by inferred incident only` : ''})`,
      `${c.count} deployments that served users${c.notReached.length > 0 ? `; ${c.notReached.length} failed before serving, not counted` : ''}`,
      c.clusters,
      c.definition,
    ),
    key(
      'Failed deployment recovery time',
      `${durations(t)}${open}`,
      `${t.count} failures`,
      t.clusters,
      t.definition,
    ),
    key(
      'Deployment rework rate',
      `${percent(w.rate)} (rollback ${w.byReason.rollback}, hotfix ${w.byReason.hotfix}, incident ${w.byReason.incident})`,
      `${w.count} deployments`,
      w.clusters,
      w.definition,
    ),
  ].join('\n');
}

/** One service's value stream as text. */
export function flowText(r: FlowReport): string {
  const b = r.batchSizes;
  const lastDay = r.cumulativeFlow.at(-1);
  const stages = renderTable(r.stages.stages, [
    { header: 'stage', value: (s) => s.stage },
    { header: 'changes', value: (s) => String(s.count) },
    { header: 'median', value: (s) => duration(s.medianMs) },
    { header: 'p90', value: (s) => duration(s.p90Ms) },
    { header: 'share', value: (s) => percent(s.share) },
  ]);
  return [
    pc.bold(`${printable(r.scope.service)}/${printable(r.scope.environment)}`) +
      pc.dim(`  ${day(r.window.from)} → ${day(r.window.to)} UTC`),
    `Where the lead time of ${r.stages.count} changes went:`,
    stages,
    `Batch size over ${b.count} deployments: commits median ${b.commits.median ?? '—'}, p90 ${b.commits.p90 ?? '—'}; ` +
      `lines changed median ${b.linesChanged.median ?? '—'}, p90 ${b.linesChanged.p90 ?? '—'}`,
    `Work in progress at the window's end: ${r.workInProgress.count} changes committed, not yet in ${printable(r.scope.environment)}`,
    lastDay === undefined
      ? ''
      : `On ${lastDay.day}: ${Object.entries(lastDay.counts)
          .map(([state, n]) => `${state} ${n}`)
          .join(', ')} ${pc.dim('(cumulative flow per day: --json)')}`,
    '',
  ].join('\n');
}

function nothing(ctx: CommandContext, environment: string): number {
  ctx.streams.stdout.write(`No service has an environment named ${printable(environment)}.\n`);
  return 0;
}

/** `flowline metrics [dora] [--service S] [--env E] [--since 30d | --from --to] [--json]`. */
export async function dora(ctx: CommandContext): Promise<number | undefined> {
  const result = await (await ctx.backend()).metrics.dora(requestOf(ctx));
  if (ctx.json) writeJson(ctx.streams, result);
  else if (result.services.length === 0) return nothing(ctx, result.environment);
  else ctx.streams.stdout.write(result.services.map(doraText).join('\n'));
  return undefined;
}

/** `flowline metrics flow [--service S] [--env E] [--since 30d | --from --to] [--json]`. */
export async function flow(ctx: CommandContext): Promise<number | undefined> {
  const result = await (await ctx.backend()).metrics.flow(requestOf(ctx));
  if (ctx.json) writeJson(ctx.streams, result);
  else if (result.services.length === 0) return nothing(ctx, result.environment);
  else ctx.streams.stdout.write(result.services.map(flowText).join('\n'));
  return undefined;
}
