import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import pc from 'picocolors';
import { FlowlineError, isFlowlineError } from '../../core/errors.js';
import type { EntryChange, EnvironmentPlan, FieldDiff, FlagPlan } from '../../flags/service/index.js';
import type { CommandContext } from '../context.js';
import { printable, writeError, writeJson } from '../output.js';

/**
 * `flowline flags plan` and `apply`: flowline.yaml's flags against the server's, Terraform-style.
 * A plan records each environment's ETag; apply sends it as `If-Match`, so a change made on the
 * server after the plan refuses the apply instead of being silently overwritten.
 */

const PLAN_FORMAT = 'flowline-flags-plan/1';

/** `flowline flags plan [--env e] [--out f] [--detailed-exitcode]`. */
export async function plan(ctx: CommandContext): Promise<number | undefined> {
  const detailed = ctx.options.detailedExitcode === true;
  try {
    const made = await makePlan(ctx);
    const out = ctx.options.out as string | undefined;
    if (out !== undefined)
      await writeFile(path.resolve(ctx.settings.cwd, out), `${JSON.stringify(made, null, 2)}\n`);
    const { hasChanges } = await import('../../flags/service/index.js');
    if (ctx.json) writeJson(ctx.streams, made);
    else {
      ctx.streams.stdout.write(await render(made, (await ctx.backend()).location));
      if (out !== undefined && hasChanges(made))
        ctx.streams.stdout.write(
          `Saved to ${out}: apply exactly this with \`flowline flags apply ${out}\`.\n`,
        );
    }
    if (detailed) return hasChanges(made) ? 2 : 0;
    return undefined;
  } catch (error) {
    // As terraform plan -detailed-exitcode: 1 is every error, so 2 can only mean "changes".
    if (detailed && isFlowlineError(error)) {
      writeError(ctx.streams, error, ctx.json);
      return 1;
    }
    throw error;
  }
}

/** `flowline flags apply [planfile] [--yes]`. */
export async function apply(ctx: CommandContext, planfile?: string): Promise<number | undefined> {
  const { hasChanges, planCounts } = await import('../../flags/service/index.js');
  const backend = await ctx.backend();
  const made = planfile === undefined ? await makePlan(ctx) : await readPlan(ctx, planfile);
  if (!hasChanges(made)) {
    if (ctx.json) writeJson(ctx.streams, { applied: [] });
    else
      ctx.streams.stdout.write(
        `No changes: the server's flags of ${printable(made.service)} match ${printable(planfile ?? 'flowline.yaml')}.\n`,
      );
    return undefined;
  }
  if (planfile === undefined) {
    if (!ctx.json) ctx.streams.stdout.write(await render(made, backend.location));
    if (ctx.options.yes !== true) await confirm(ctx);
  }
  const changed = made.environments.filter((env) => env.changes.length > 0);
  // Check every environment first, so a stale plan applies nowhere rather than half-way.
  const stale: string[] = [];
  for (const env of changed) {
    const current = await backend.flags.get(made.service, env.environment);
    if (current.etag !== env.etag)
      stale.push(`${env.environment} (planned at version ${env.version}, now ${current.version})`);
  }
  if (stale.length > 0) throw staleError(stale, []);
  const applied: { environment: string; version: number }[] = [];
  for (const env of changed) {
    try {
      const document = await backend.flags.replace(made.service, env.environment, env.desired, env.etag);
      applied.push({ environment: env.environment, version: document.version });
    } catch (error) {
      if (isFlowlineError(error) && error.code === 'FLOWLINE_FLAGS_CONFLICT')
        throw staleError([env.environment], applied);
      throw error;
    }
  }
  if (ctx.json) writeJson(ctx.streams, { applied });
  else {
    const counts = planCounts(made);
    ctx.streams.stdout.write(
      `${pc.green('✔')} Apply complete: ${counts.create} created, ${counts.update} updated, ${counts.delete} deleted in ${applied
        .map((a) => `${printable(a.environment)} (version ${a.version})`)
        .join(', ')}.\n`,
    );
  }
  return undefined;
}

/** Reads flowline.yaml and the server's flags of each managed environment. */
async function makePlan(ctx: CommandContext): Promise<FlagPlan> {
  const file = String(ctx.options.config ?? 'flowline.yaml');
  const { loadConfigOrThrow } = await import('../../config/index.js');
  const config = await loadConfigOrThrow(path.resolve(ctx.settings.cwd, file), file);
  const service = (ctx.options.service as string | undefined) ?? config.service;
  const { desiredFlags, managedEnvironments, planEnvironment } = await import('../../flags/service/index.js');
  const { compileFlagSetOrThrow } = await import('../../flags/index.js');
  const only = ctx.options.env as string | undefined;
  const environments = only === undefined ? managedEnvironments(config) : [only];
  const backend = await ctx.backend();
  const plans: EnvironmentPlan[] = [];
  for (const environment of environments) {
    const wanted = { ...desiredFlags(config, environment), service };
    compileFlagSetOrThrow(wanted); // the file's mistakes show here, not half-way through an apply
    plans.push(planEnvironment(await backend.flags.get(service, environment), wanted));
  }
  return { format: PLAN_FORMAT, service, createdAt: new Date().toISOString(), environments: plans };
}

async function readPlan(ctx: CommandContext, file: string): Promise<FlagPlan> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path.resolve(ctx.settings.cwd, file), 'utf8'));
  } catch (error) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      `Cannot read the plan ${file}: ${error instanceof Error ? error.message : String(error)}`,
      {
        hint: 'Save one with `flowline flags plan --out <file>`.',
        location: { file },
      },
    );
  }
  if ((parsed as { format?: unknown } | null)?.format !== PLAN_FORMAT) {
    throw new FlowlineError('FLOWLINE_USAGE', `${file} is not a flag plan (format ${PLAN_FORMAT}).`, {
      hint: 'Save one with `flowline flags plan --out <file>`.',
      location: { file },
    });
  }
  return parsed as FlagPlan;
}

async function confirm(ctx: CommandContext): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      'apply needs a confirmation: run it in a terminal, or pass --yes.',
      {
        hint: 'In CI: `flowline flags plan --out plan.json`, review it, then `flowline flags apply plan.json`.',
      },
    );
  }
  const rl = createInterface({ input: process.stdin, output: ctx.streams.stderr });
  const answer = await rl.question('Apply these changes? Only `yes` applies: ');
  rl.close();
  if (answer.trim() !== 'yes')
    throw new FlowlineError('FLOWLINE_USAGE', 'Apply cancelled: nothing was changed.');
}

function staleError(
  environments: readonly string[],
  applied: readonly { environment: string }[],
): FlowlineError {
  const done =
    applied.length === 0
      ? 'Nothing was applied.'
      : `Applied before the conflict: ${applied.map((a) => a.environment).join(', ')}.`;
  return new FlowlineError(
    'FLOWLINE_FLAGS_CONFLICT',
    `The flags changed on the server since the plan: ${environments.join(', ')}. ${done}`,
    { hint: 'Run `flowline flags plan` again, review the difference, and apply the new plan.' },
  );
}

/**
 * The plan for people: per environment, `+`/`~`/`-` per flag and segment, then the totals. Names
 * and values come from the server and the file (or a saved plan): printed through `printable`.
 */
async function render(made: FlagPlan, location: string): Promise<string> {
  const { planCounts } = await import('../../flags/service/index.js');
  const lines = [
    `Flags of ${pc.bold(printable(made.service))}: flowline.yaml compared with ${printable(location)}`,
    '',
  ];
  for (const env of made.environments) {
    const head = `  ${pc.bold(printable(env.environment))} ${pc.dim(`(server version ${env.version})`)}`;
    if (env.changes.length === 0) lines.push(`${head}: no changes`);
    else {
      lines.push(head);
      for (const change of env.changes) lines.push(...renderChange(change));
    }
    for (const key of env.keptKills)
      lines.push(
        `    ${pc.red('!')} flag ${printable(key)} is killed on the server: the kill switch stays pulled`,
      );
    lines.push('');
  }
  const counts = planCounts(made);
  const total = counts.create + counts.update + counts.delete;
  lines.push(
    total === 0
      ? 'No changes: the server matches flowline.yaml.'
      : `Plan: ${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete.`,
  );
  return `${lines.join('\n')}\n`;
}

const SIGN = { create: pc.green('+'), update: pc.yellow('~'), delete: pc.red('-') };

function renderChange(change: EntryChange): string[] {
  const lines = [
    `    ${SIGN[change.op]} ${change.kind === 'metadata' ? 'set metadata' : printable(`${change.kind} ${change.key}`)}`,
  ];
  if (change.op === 'delete') return lines;
  for (const field of change.fields) lines.push(`        ${renderField(field)}`);
  return lines;
}

function renderField(field: FieldDiff): string {
  const path = printable(field.path);
  if (field.op === '+') return `${pc.green('+')} ${path}: ${short(field.after)}`;
  if (field.op === '-') return `${pc.red('-')} ${path}: ${short(field.before)}`;
  return `${pc.yellow('~')} ${path}: ${short(field.before)} → ${short(field.after)}`;
}

function short(value: unknown): string {
  const text = printable(JSON.stringify(value) ?? 'undefined');
  return text.length > 100 ? `${text.slice(0, 97)}…` : text;
}
