import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pc from 'picocolors';
import { parse } from 'yaml';
import type { Deployment } from '../../catalog/index.js';
import { FlowlineError } from '../../core/errors.js';
import { compact } from '../../core/objects.js';
import type { DeployResult } from '../backend/types.js';
import type { CommandContext } from '../context.js';
import { age, flushed, printable, renderTable, writeJson } from '../output.js';

/**
 * `flowline deploy <env>`: names the artifact (default: what the server picks) and the
 * environment, and streams the deployment's progress. The artifact carries the flowline.yaml it
 * was built with; the local file only names the service.
 */
export async function deploy(ctx: CommandContext, environment: string): Promise<number | undefined> {
  const service = await serviceOf(ctx);
  const artifact = ctx.options.artifact as string | undefined;
  const backend = await ctx.backend();
  const result = await backend.deploy(
    {
      service,
      environment,
      ...(artifact === undefined ? {} : { artifact }),
      ...(ctx.options.hotfix === true ? { hotfix: true } : {}),
    },
    progressPrinter(ctx),
  );
  await report(ctx, result, `${environment} serves ${short(result.deployment.artifactId)}`);
  await noteUnbuiltEdit(ctx, result);
  return undefined;
}

/**
 * What runs is what was built: when the local flowline.yaml is not the one sealed in the artifact
 * just deployed (an edit not built yet), say so rather than let it look as if it applied.
 */
async function noteUnbuiltEdit(ctx: CommandContext, result: DeployResult): Promise<void> {
  if (ctx.json || result.config === undefined) return;
  const file = String(ctx.options.config ?? 'flowline.yaml');
  const text = await readConfigText(ctx, file).catch(() => undefined);
  if (text === undefined || createHash('sha256').update(text).digest('hex') === result.config.sha256) return;
  ctx.streams.stderr.write(
    `${pc.yellow('note:')} ${file} here is not the flowline.yaml sealed in ${short(result.deployment.artifactId)}: it runs by the one it was built with. Build with \`flowline run\` to ship the edit.\n`,
  );
}

/** `flowline rollback <env>`: the emergency path, straight back to the previous good artifact. */
export async function rollback(ctx: CommandContext, environment: string): Promise<number | undefined> {
  const service = await serviceOf(ctx);
  const backend = await ctx.backend();
  const result = await backend.rollback({ service, environment }, progressPrinter(ctx));
  await report(ctx, result, `${environment} rolled back to ${short(result.deployment.artifactId)}`);
  return undefined;
}

function progressPrinter(ctx: CommandContext): (line: string) => void {
  return (line) => {
    if (!ctx.json) ctx.streams.stderr.write(`${pc.dim('│')} ${printable(line, { tabs: true })}\n`);
  };
}

async function report(ctx: CommandContext, result: DeployResult, headline: string): Promise<void> {
  await flushed(ctx.streams.stderr); // the result after the progress, also in one pipe
  if (ctx.json) {
    writeJson(ctx.streams, result);
    return;
  }
  ctx.streams.stdout.write(
    `${pc.green('✔')} ${printable(headline)} — ${pc.bold(printable(result.url))}  (${printable(result.deployment.id)})\n`,
  );
}

async function readConfigText(ctx: CommandContext, file: string): Promise<string> {
  const full = path.resolve(ctx.settings.cwd, file);
  try {
    return await readFile(full, 'utf8');
  } catch {
    throw new FlowlineError('FLOWLINE_CONFIG_NOT_FOUND', `Cannot read ${file}.`, {
      hint: 'Run deploy from the repo holding flowline.yaml, or pass --config <file>.',
      location: { file },
    });
  }
}

/** `--service`, else the service named in flowline.yaml. */
export async function serviceOf(ctx: CommandContext): Promise<string> {
  const given = ctx.options.service as string | undefined;
  if (given !== undefined) return given;
  const file = String(ctx.options.config ?? 'flowline.yaml');
  const text = await readConfigText(ctx, file).catch(() => undefined);
  let service: unknown;
  try {
    service = text === undefined ? undefined : (parse(text) as { service?: unknown } | null)?.service;
  } catch {
    service = undefined;
  }
  if (typeof service !== 'string') {
    throw new FlowlineError('FLOWLINE_USAGE', 'Which service? No flowline.yaml here names one.', {
      hint: 'Pass --service <name>.',
    });
  }
  return service;
}

function short(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** `flowline deployments`: what went where, when, and how it ended. */
export async function list(ctx: CommandContext): Promise<number | undefined> {
  const limit = Number(ctx.options.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      `--limit \`${String(ctx.options.limit)}\` is not a whole number from 1 to 1000.`,
      {
        hint: 'e.g. --limit 50',
      },
    );
  }
  const deployments = await (await ctx.backend()).catalog.listDeployments(
    compact({
      service: ctx.options.service as string | undefined,
      environment: ctx.options.env as string | undefined,
      limit,
    }),
  );
  if (ctx.json) {
    writeJson(ctx.streams, { deployments });
    return undefined;
  }
  if (deployments.length === 0) {
    ctx.streams.stdout.write('No deployments yet. Deploy with `flowline deploy <environment>`.\n');
    return undefined;
  }
  ctx.streams.stdout.write(
    `${renderTable(deployments, [
      { header: 'id', value: (d: Deployment) => d.id },
      { header: 'service', value: (d: Deployment) => d.service },
      { header: 'env', value: (d: Deployment) => d.environment },
      {
        header: 'artifact',
        // An imported one's artifact is the name its previous tool used (`imported:<service>:<name>`).
        value: (d: Deployment) =>
          d.imported ? d.artifactId.split(':').slice(2).join(':') : short(d.artifactId),
      },
      { header: 'strategy', value: (d: Deployment) => d.strategy },
      { header: 'status', value: (d: Deployment) => d.status },
      { header: 'outcome', value: (d: Deployment) => d.outcome },
      { header: 'by', value: (d: Deployment) => d.actor },
      { header: 'started', value: (d: Deployment) => age(d.startedAt) },
      { header: 'took', value: (d: Deployment) => took(d) },
      { header: 'reason', value: (d: Deployment) => d.reason ?? '' },
    ])}\n`,
  );
  return undefined;
}

function took(d: Deployment): string {
  if (d.finishedAt === null) return 'running';
  const ms = new Date(d.finishedAt).getTime() - new Date(d.startedAt).getTime();
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}
