import pc from 'picocolors';
import { FlowlineError } from '../../core/errors.js';
import { counted } from '../../core/plural.js';
import { requireDuration } from '../../core/time.js';
import type { EnvironmentStatus } from '../../deploy/index.js';
import type { CommandContext } from '../context.js';
import { age, flushed, printable, renderTable, writeJson } from '../output.js';
import { serviceOf } from './deploy.js';

/**
 * `flowline env create (--branch B | --pr N)`: a preview environment from the ephemeral template
 * of flowline.yaml, deployed all-at-once; again on an existing preview: a fresh TTL and a redeploy.
 */
export async function create(ctx: CommandContext): Promise<number | undefined> {
  const branch = ctx.options.branch as string | undefined;
  const pr = ctx.options.pr as string | undefined;
  const ttl = ctx.options.ttl as string | undefined;
  const artifact = ctx.options.artifact as string | undefined;
  if (branch === undefined && pr === undefined) {
    throw new FlowlineError('FLOWLINE_USAGE', 'Which preview? Give --branch <name> or --pr <n>.', {
      hint: 'e.g. flowline env create --pr 12 (in CI: --pr $PR_NUMBER --branch $HEAD_BRANCH)',
    });
  }
  const pullRequest = pr === undefined ? undefined : Number(pr);
  if (pullRequest !== undefined && !(Number.isInteger(pullRequest) && pullRequest > 0)) {
    throw new FlowlineError('FLOWLINE_USAGE', `--pr \`${pr}\` is not a pull request number.`, {
      hint: 'e.g. --pr 12',
    });
  }
  if (ttl !== undefined) requireDuration(ttl, { name: '--ttl', min: '1s', code: 'FLOWLINE_USAGE' });
  const service = await serviceOf(ctx);
  const backend = await ctx.backend();
  const result = await backend.createEnvironment(
    {
      service,
      ...(branch === undefined ? {} : { branch }),
      ...(pullRequest === undefined ? {} : { pullRequest }),
      ...(ttl === undefined ? {} : { ttl }),
      ...(artifact === undefined ? {} : { artifact }),
    },
    progressPrinter(ctx),
  );
  await flushed(ctx.streams.stderr); // the result after the progress, also in one pipe
  if (ctx.json) {
    writeJson(ctx.streams, result);
    return undefined;
  }
  const { environment, deployment } = result;
  const name = printable(environment.name);
  ctx.streams.stdout.write(
    `${pc.green('✔')} ${name} ${result.created ? 'created' : 'refreshed'}: serves ${printable(short(deployment.artifactId))} — ${pc.bold(printable(result.url))}\n` +
      `  expires ${until(environment.expiresAt)} (${printable(environment.expiresAt ?? 'never')}); delete it with: flowline env delete ${name}\n`,
  );
  return undefined;
}

/** `flowline env delete <name>`: drains and stops its revisions, removes its route, marks it deleted. */
export async function remove(ctx: CommandContext, name: string): Promise<number | undefined> {
  const service = await serviceOf(ctx);
  const backend = await ctx.backend();
  const result = await backend.deleteEnvironment(
    { service, name, force: ctx.options.force === true, purgeData: ctx.options.purgeData === true },
    progressPrinter(ctx),
  );
  await flushed(ctx.streams.stderr); // the result after the progress, also in one pipe
  if (ctx.json) {
    writeJson(ctx.streams, result);
    return undefined;
  }
  const n = result.revisions.length;
  const data = result.dataRemoved ? 'its data deleted' : 'its data folder kept';
  ctx.streams.stdout.write(
    `${pc.green('✔')} deleted ${printable(name)} of ${printable(service)} (stopped ${counted(n, 'revision')}, ${data})
`,
  );
  return undefined;
}

/** `flowline env list`: every environment with URL, artifact, commit, health, age, expiry and drift. */
export async function list(ctx: CommandContext): Promise<number | undefined> {
  const service = ctx.options.service as string | undefined;
  const report = await (await ctx.backend()).environmentStatus(service);
  if (ctx.json) {
    writeJson(ctx.streams, report);
    return undefined;
  }
  const out = ctx.streams.stdout;
  if (report.environments.length === 0) out.write('No environments.\n');
  else {
    out.write(
      `${renderTable(report.environments, [
        { header: 'service', value: (e: EnvironmentStatus) => e.service },
        { header: 'name', value: (e: EnvironmentStatus) => e.name },
        { header: 'kind', value: (e: EnvironmentStatus) => e.kind },
        { header: 'url', value: (e: EnvironmentStatus) => e.url ?? e.host },
        {
          header: 'artifact',
          value: (e: EnvironmentStatus) => (e.artifact === null ? '-' : short(e.artifact)),
        },
        { header: 'commit', value: (e: EnvironmentStatus) => e.commit?.slice(0, 7) ?? '-' },
        { header: 'health', value: healthText },
        { header: 'age', value: (e: EnvironmentStatus) => age(e.createdAt) },
        {
          header: 'expires',
          value: (e: EnvironmentStatus) => (e.kind === 'ephemeral' ? until(e.expiresAt) : '-'),
        },
        { header: 'drift', value: driftText },
      ])}\n`,
    );
  }
  if (!report.runtime) out.write(pc.dim('(flowline serve not running: health unknown)\n'));
  return undefined;
}

function healthText(e: EnvironmentStatus): string {
  return e.health === null ? '-' : `${e.health.healthy}/${e.health.desired} healthy`;
}

function driftText(e: EnvironmentStatus): string {
  const words = [...(e.release === null ? [] : [`deploying (${e.release})`]), ...e.drift];
  return words.length === 0 ? '-' : words.join(', ');
}

/** "in 3h", "expired": a preview's remaining time to live. */
function until(iso: string | null, now: Date = new Date()): string {
  if (iso === null) return 'never';
  const seconds = Math.round((new Date(iso).getTime() - now.getTime()) / 1000);
  if (seconds <= 0) return 'expired';
  if (seconds < 60) return `in ${seconds}s`;
  if (seconds < 3600) return `in ${Math.round(seconds / 60)}m`;
  if (seconds < 86_400 * 2) return `in ${Math.round(seconds / 3600)}h`;
  return `in ${Math.round(seconds / 86_400)}d`;
}

function progressPrinter(ctx: CommandContext): (line: string) => void {
  return (line) => {
    if (!ctx.json) ctx.streams.stderr.write(`${pc.dim('│')} ${printable(line, { tabs: true })}\n`);
  };
}

function short(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
