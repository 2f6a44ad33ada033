import pc from 'picocolors';
import { shortDigest } from './build.js';
import { formatMillis } from './format.js';
import { describe } from './lock.js';
import type {
  LockHolder,
  NodeResult,
  NodeStatus,
  PlanNode,
  RunCommit,
  RunObserver,
  RunReport,
} from './types.js';

export interface ProgressOptions {
  readonly stream: NodeJS.WritableStream;
  /**
   * `live`: a block redrawn in place, one line per stage (a terminal). `plain`: every line of
   * output prefixed with its stage, and stage transitions (CI logs, pipes).
   */
  readonly mode: 'live' | 'plain';
  readonly color: boolean;
  /** Terminal width for `live` (lines are cut to fit). Default 100. */
  readonly columns?: number;
  /** Redraw interval of `live`. Default 100 ms. */
  readonly frameMs?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface Row {
  readonly name: string;
  status: NodeStatus;
  startedAt: number | null;
  durationMs: number | null;
  last: string;
  reason: string | null;
}

/** A progress display of a run, as a {@link RunObserver}. Call `stop()` if the run throws. */
export function createProgress(options: ProgressOptions): RunObserver & { stop(): void } {
  const c = pc.createColors(options.color);
  const out = options.stream;
  const rows = new Map<string, Row>();
  let width = 8;
  let drawn = 0;
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;

  const draw = () => {
    frame++;
    const columns = Math.max(40, options.columns ?? 100) - 1;
    const lines = [...rows.values()].map((row) => cut(liveLine(row), columns));
    let text = drawn > 0 ? `\x1b[${drawn}A\r` : '';
    for (const line of lines) text += `\x1b[2K${colorLine(line)}\n`;
    drawn = lines.length;
    out.write(text);
  };
  const liveLine = (row: Row): string => {
    const icon = row.status === 'running' ? (SPINNER[frame % SPINNER.length] ?? '*') : ICON[row.status];
    const elapsed =
      row.status === 'running' && row.startedAt !== null
        ? formatMillis(Date.now() - row.startedAt)
        : row.durationMs === null
          ? ''
          : formatMillis(row.durationMs);
    const detail =
      row.status === 'running' || row.status === 'succeeded' ? row.last : (row.reason ?? row.last);
    return `${icon} ${row.name.padEnd(width)}  ${row.status.padEnd(9)} ${elapsed.padStart(6)}  ${detail}`;
  };
  const colorLine = (line: string): string => {
    const icon = line.slice(0, 1);
    const paint =
      icon === '✘'
        ? c.red
        : icon === '✔'
          ? c.green
          : icon === '○' || icon === '⊘' || icon === '·'
            ? c.dim
            : c.cyan;
    return paint(icon) + line.slice(1);
  };
  const say = (text: string) => {
    if (options.mode === 'live' && drawn > 0) {
      // Keep the block below the message.
      out.write(`\x1b[${drawn}A\r\x1b[J${text}\n`);
      drawn = 0;
      draw();
    } else out.write(`${text}\n`);
  };

  return {
    waiting(holder: LockHolder) {
      say(c.yellow(`waiting for ${describe(holder)}…`));
    },
    started(run: { runId: string; service: string; commit: RunCommit | null; nodes: readonly PlanNode[] }) {
      width = Math.max(...run.nodes.map((n) => n.name.length), 4);
      for (const node of run.nodes) {
        rows.set(node.name, {
          name: node.name,
          status: 'queued',
          startedAt: null,
          durationMs: null,
          last: '',
          reason: null,
        });
      }
      say(
        `${c.bold(`run ${run.runId}`)} of ${run.service}${commitText(run.commit)}: ${run.nodes.map((n) => n.name).join(', ')}`,
      );
      if (options.mode === 'live') {
        draw();
        timer = setInterval(draw, options.frameMs ?? 100);
        timer.unref();
      }
    },
    status(node: NodeResult) {
      const row = rows.get(node.name);
      if (row !== undefined) {
        row.status = node.status;
        row.durationMs = node.durationMs;
        row.reason = node.reason;
        if (node.status === 'running') row.startedAt = Date.now();
      }
      if (options.mode === 'live') return draw();
      if (node.status === 'queued') return;
      if (node.status === 'running') return out.write(`${c.cyan(`[${node.name}]`)} started\n`);
      const took = node.durationMs === null ? '' : ` in ${formatMillis(node.durationMs)}`;
      const why = node.reason === null || node.status === 'succeeded' ? '' : `: ${node.reason}`;
      out.write(
        `${c.cyan(`[${node.name}]`)} ${colorLine(`${ICON[node.status]} ${node.status}${took}${why}`)}\n`,
      );
    },
    line(node: string, text: string) {
      const row = rows.get(node);
      if (row !== undefined && text.trim() !== '') row.last = printable(text).trim();
      if (options.mode === 'plain') out.write(`${c.dim(`[${node}]`)} ${text}\n`);
    },
    finished() {
      this.stop();
    },
    stop() {
      if (timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
      draw();
    },
  };
}

const ICON: Record<NodeStatus, string> = {
  queued: '·',
  running: '*',
  succeeded: '✔',
  cached: '✔',
  failed: '✘',
  skipped: '○',
  cancelled: '⊘',
};

/**
 * The end of a human-readable run: the full output of each failed stage (from its log), then a
 * table of every stage and the verdict.
 */
export function renderSummary(
  report: RunReport,
  failureOutput: ReadonlyMap<string, readonly string[]>,
  color: boolean,
): string {
  const c = pc.createColors(color);
  const parts: string[] = [];
  for (const [name, lines] of failureOutput) {
    parts.push(c.red(c.bold(`── ${name}: output ──`)), ...lines, '');
  }
  const width = Math.max(...report.stages.map((s) => s.name.length), 4);
  for (const stage of report.stages) {
    const took = stage.durationMs === null ? '' : formatMillis(stage.durationMs);
    const detail =
      stage.status === 'cached' || (stage.kind === 'build' && stage.status === 'succeeded')
        ? report.artifact === null
          ? ''
          : shortDigest(report.artifact.digest)
        : stage.status === 'succeeded'
          ? ''
          : (stage.reason ?? '');
    const line = `${ICON[stage.status]} ${stage.name.padEnd(width)}  ${stage.status.padEnd(9)} ${took.padStart(6)}  ${detail}`;
    parts.push(`  ${stage.status === 'failed' ? c.red(line) : line.trimEnd()}`);
  }
  // Lead times need the history: say when this run could not record all of it.
  if (report.history?.shallow === true)
    parts.push(
      c.dim(
        '  history: a shallow clone; lead times start at its oldest commit (fetch it all: fetch-depth: 0)',
      ),
    );
  else if (report.history?.truncated === true)
    parts.push(
      c.dim(`  history: the first ${report.history.commits} commits recorded; older ones were not read`),
    );
  parts.push(...qualityLines(report, c));
  const verdict =
    report.status === 'succeeded'
      ? c.green(c.bold(`✔ run ${report.runId} passed`))
      : report.status === 'failed'
        ? c.red(c.bold(`✘ run ${report.runId} failed`))
        : c.yellow(c.bold(`⊘ run ${report.runId} was cancelled`));
  parts.push(`${verdict} in ${formatMillis(report.durationMs)}${commitText(report.commit)}`);
  if (report.status !== 'succeeded') parts.push(c.dim(`  logs: flowline logs ${report.runId} [stage]`));
  return `${parts.join('\n')}\n`;
}

/** One line per quality measurement; a report that could not be read shows its coded error. */
function qualityLines(report: RunReport, c: ReturnType<typeof pc.createColors>): string[] {
  return (report.quality ?? []).map((m) => {
    if (m.error !== null)
      return c.red(`  ✘ quality ${m.deliverable}: ${m.error.code} ${printable(m.error.message)}`);
    const values = Object.entries(m.values ?? {})
      .map(([metric, value]) => `${metric} ${value}`)
      .join(', ');
    return c.dim(
      `  · quality ${m.deliverable}: ${values}${m.file === null ? '' : ` (${printable(m.file)})`}`,
    );
  });
}

function commitText(commit: RunCommit | null): string {
  if (commit === null) return '';
  return ` at ${commit.sha.slice(0, 12)}${commit.branch === null ? '' : ` (${commit.branch})`}`;
}

/** The text without colour codes and control characters, which would break the live block's layout. */
function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/[\x00-\x1f\x7f]/g, ' ');
}

/** Cuts a line to `columns` characters (the live block must not wrap, or redrawing breaks). */
function cut(line: string, columns: number): string {
  const chars = [...line];
  return chars.length <= columns ? line : `${chars.slice(0, columns - 1).join('')}…`;
}
