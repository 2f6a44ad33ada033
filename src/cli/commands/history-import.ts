import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pc from 'picocolors';
import { FlowlineError } from '../../core/errors.js';
import { readCommitHistory } from '../../core/git.js';
import type { HistoryFormat, ImportProgress, ImportResult } from '../../history/index.js';
import type { CommandContext } from '../context.js';
import { flushed, printable, writeJson } from '../output.js';
import { serviceOf } from './deploy.js';

/** Commits per page read from git and sent: a bounded request, and progress as it goes. */
const COMMIT_PAGE = 2000;

/** `flowline history import deployments|incidents <file> [--service S] [--format F]`. */
export async function importFile(
  ctx: CommandContext,
  kind: 'deployments' | 'incidents',
  file: string,
): Promise<number | undefined> {
  const full = path.resolve(ctx.settings.cwd, file);
  const text = await readFile(full, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new FlowlineError('FLOWLINE_USAGE', `Cannot read ${file}: ${error.code ?? error.message}.`, {
      hint: 'Give the path of a CSV or JSON file (docs/metrics.md, "Importing history").',
    });
  });
  const format = ctx.options.format as HistoryFormat | undefined;
  const service = ctx.options.service as string | undefined;
  const input = {
    name: file,
    text,
    ...(format === undefined ? {} : { format }),
    ...(service === undefined ? {} : { service }),
  };
  const progress = progressLine(ctx);
  const backend = await ctx.backend();
  // A server imports the file in one request: all it can show is that it is under way.
  progress(
    backend.mode === 'remote'
      ? `${kind}: ${file} sent to ${backend.location}, importing`
      : `${kind}: reading ${file}`,
    0,
    0,
  );
  const history = backend.history;
  try {
    const result =
      kind === 'deployments'
        ? await history.deployments(input, progress)
        : await history.incidents(input, progress);
    progress.end();
    return report(ctx, result);
  } finally {
    progress.end();
  }
}

/** `flowline history import commits --repo <path> [--service S]`: the repository's git history. */
export async function importCommits(ctx: CommandContext): Promise<number | undefined> {
  const service = await serviceOf(ctx);
  const repo = path.resolve(ctx.settings.cwd, String(ctx.options.repo ?? '.'));
  const history = (await ctx.backend()).history;
  const progress = progressLine(ctx);
  let read = 0;
  let imported = 0;
  let last: ImportResult | undefined;
  try {
    for (;;) {
      const page = await readCommitHistory(repo, { known: [], max: COMMIT_PAGE, skip: read });
      if (page === undefined) {
        throw new FlowlineError('FLOWLINE_USAGE', `${repo} is not a git repository with commits.`, {
          hint: "Pass --repo <path> of a clone of the service's repository.",
        });
      }
      if (read === 0 && page.shallow) {
        ctx.streams.stderr.write(
          `${pc.yellow('warning:')} ${printable(repo)} is a shallow clone: commits past its boundary are missing, and ranges reaching them are partial (git fetch --unshallow).\n`,
        );
      }
      read += page.commits.length;
      progress('commits: read from git and sent', read, 0);
      last = await history.commits({ service, commits: page.commits, last: !page.truncated }, progress);
      imported += last.imported;
      if (!page.truncated) break;
    }
  } finally {
    progress.end();
  }
  return report(ctx, {
    ...last,
    kind: 'commits',
    file: repo,
    rows: read,
    imported,
    skipped: read - imported,
  });
}

async function report(ctx: CommandContext, result: ImportResult): Promise<undefined> {
  await flushed(ctx.streams.stderr);
  if (ctx.json) {
    writeJson(ctx.streams, { result });
    return undefined;
  }
  const what = result.kind;
  const lines = [
    `${pc.green('●')} Imported ${result.imported} ${what} from ${printable(result.file)}${
      result.skipped === 0 ? '' : ` (${result.skipped} skipped: imported before, unchanged)`
    }.`,
  ];
  if (result.ranges !== undefined) {
    const r = result.ranges;
    const total = r.complete + r.partial + r.none;
    lines.push(
      pc.dim(
        `  commit ranges of ${total} imported deployments: ${r.complete} complete, ${r.partial} partial, ${r.none} none${
          r.none > 0 ? ' (import their commits: flowline history import commits --repo <path>)' : ''
        }`,
      ),
    );
  }
  ctx.streams.stdout.write(`${lines.join('\n')}\n`);
  return undefined;
}

/**
 * Progress on stderr: one line redrawn in place on a terminal, else a line per phase and per
 * tenth of the way (CI logs, pipes). `total` 0: not known ahead.
 */
function progressLine(ctx: CommandContext): ImportProgress & { end(): void } {
  const err = ctx.streams.stderr as NodeJS.WriteStream;
  const live = err.isTTY === true && !ctx.json;
  let shown = false;
  let lastPhase = '';
  let lastTenth = -1;
  const update = (phase: string, done: number, total: number) => {
    const count = total > 0 ? `${done}/${total}` : done > 0 ? String(done) : '';
    const text = `${phase}${count === '' ? '' : ` ${count}`}`;
    if (live) {
      err.write(`\r\x1b[2K${pc.cyan('…')} ${text}`);
      shown = true;
      return;
    }
    const tenth = total > 0 ? Math.floor((done * 10) / total) : -1;
    if (phase === lastPhase && tenth === lastTenth) return;
    lastPhase = phase;
    lastTenth = tenth;
    err.write(`${text}\n`);
  };
  return Object.assign(update, {
    end() {
      if (live && shown) err.write('\r\x1b[2K');
      shown = false;
    },
  });
}
