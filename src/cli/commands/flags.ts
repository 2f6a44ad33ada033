import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pc from 'picocolors';
import { FlowlineError } from '../../core/errors.js';
import { counted } from '../../core/plural.js';
import type { FlagDefinition, ServeDefinition } from '../../flags/engine/types.js';
import type { FlagAction, FlagActivity, FlagDocument } from '../../flags/service/index.js';
import type { CommandContext } from '../context.js';
import { age, jsonText, printable, renderTable, writeJson } from '../output.js';
import { serviceOf } from './deploy.js';
import { importSummary, nothingImported, writeImportSummary } from './flags-import.js';
import { untilServed } from './flags-served.js';

/**
 * `flowline flags …`: read and change flags per environment, hygiene, import/export, triggers.
 * Names, variants and notes come from the server or an imported file: printed through `printable`.
 */

export interface Target {
  readonly service: string;
  readonly environment: string;
}

/** `--env` (required) and the service. */
export async function target(ctx: CommandContext): Promise<Target> {
  const environment = ctx.options.env as string | undefined;
  if (environment === undefined) {
    throw new FlowlineError('FLOWLINE_USAGE', 'Which environment? Give --env <name>.', {
      hint: 'e.g. --env production',
    });
  }
  return { service: await serviceOf(ctx), environment };
}

/** `flowline flags list [--env e]`. */
export async function list(ctx: CommandContext): Promise<number | undefined> {
  const service = await serviceOf(ctx);
  const only = ctx.options.env as string | undefined;
  const overview = await (await ctx.backend()).flags.overview(service);
  const environments = overview.environments.filter((env) => only === undefined || env.environment === only);
  if (ctx.json) {
    writeJson(ctx.streams, { service, environments });
    return undefined;
  }
  const rows = environments.flatMap((env) =>
    Object.entries(env.definition.flags).map(([key, flag]) => ({
      key,
      env: env.environment,
      flag,
      activity: env.flags[key],
    })),
  );
  if (rows.length === 0) {
    ctx.streams.stdout.write(
      `No flags for ${printable(service)}${only === undefined ? '' : ` in ${printable(only)}`}. Define them in flowline.yaml and run \`flowline flags plan\`.\n`,
    );
    return undefined;
  }
  ctx.streams.stdout.write(
    `${renderTable(rows, [
      { header: 'flag', value: (r) => r.key },
      { header: 'env', value: (r) => r.env },
      { header: 'state', value: (r) => stateText(r.flag), paint: (text, r) => paintState(text, r.flag) },
      { header: 'serves', value: (r) => servesOf(r.flag) },
      { header: 'changed', value: (r) => age(r.activity?.changedAt) },
      { header: 'evaluated', value: (r) => evaluated(r.activity) },
    ])}\n`,
  );
  return undefined;
}

/** `flowline flags get <flag> --env e`. */
export async function get(ctx: CommandContext, key: string): Promise<number | undefined> {
  const { service, environment } = await target(ctx);
  const backend = await ctx.backend();
  const document = await backend.flags.get(service, environment);
  const definition = flagOf(document, key);
  const overview = await backend.flags.overview(service);
  const activity = overview.environments.find((env) => env.environment === environment)?.flags[key];
  if (ctx.json) {
    writeJson(ctx.streams, {
      service,
      environment,
      version: document.version,
      etag: document.etag,
      flag: key,
      definition,
      activity,
    });
    return undefined;
  }
  const out = ctx.streams.stdout;
  const state = paintState(printable(stateText(definition)), definition);
  out.write(
    `${pc.bold(printable(key))}  ${printable(`${service}/${environment}`)}  version ${document.version}  ${state}\n`,
  );
  out.write(
    `  serves ${printable(servesOf(definition))}; changed ${age(activity?.changedAt)}; evaluated ${evaluated(activity)}\n`,
  );
  out.write(`${jsonText(definition)}\n`);
  return undefined;
}

/** `flowline flags set <flag> --env e --file f.json`. */
export async function set(ctx: CommandContext, key: string): Promise<number | undefined> {
  const { service, environment } = await target(ctx);
  const file = String(ctx.options.file);
  const definition = await readJson(ctx, file);
  const before = await (await ctx.backend()).flags.get(service, environment);
  const document = await (await ctx.backend()).flags.setFlag(service, environment, key, definition);
  await served(ctx, document);
  const verb = Object.hasOwn(before.definition.flags, key) ? 'changed' : 'created';
  return changed(ctx, document, `${verb} ${key}`, before.version);
}

/** `flowline flags enable|disable|kill|unkill <flag> --env e`. */
export function act(action: FlagAction) {
  return async (ctx: CommandContext, key: string): Promise<number | undefined> => {
    const { service, environment } = await target(ctx);
    const variant = ctx.options.variant as string | undefined;
    const backend = await ctx.backend();
    const before = (await backend.flags.get(service, environment)).version;
    const document = await backend.flags.act(service, environment, key, action, variant);
    await served(ctx, document);
    const what =
      action === 'kill'
        ? `killed ${key} (serving ${variant ?? flagOf(document, key).defaultVariant})`
        : `${action}d ${key}`;
    return changed(ctx, document, action === 'unkill' ? `lifted the kill switch of ${key}` : what, before);
  };
}

/** Waits until the server serves what was written (flags-served.ts), before saying it is done. */
async function served(ctx: CommandContext, document: FlagDocument): Promise<void> {
  await untilServed((await ctx.backend()).flags, document, (line) =>
    ctx.streams.stderr.write(`${pc.dim(line)}\n`),
  );
}

function changed(ctx: CommandContext, document: FlagDocument, what: string, before: number): undefined {
  const where = printable(`${document.service}/${document.environment}`);
  if (ctx.json) writeJson(ctx.streams, document);
  else if (document.version === before)
    ctx.streams.stdout.write(`${pc.dim('=')} ${where}: already so (version ${document.version})\n`);
  else
    ctx.streams.stdout.write(`${pc.green('✔')} ${where}: ${printable(what)} (version ${document.version})\n`);
  return undefined;
}

/** `flowline flags history --env e`. */
export async function history(ctx: CommandContext): Promise<number | undefined> {
  const { service, environment } = await target(ctx);
  const entries = await (await ctx.backend()).flags.history(
    service,
    environment,
    Number(ctx.options.limit ?? 20),
  );
  if (ctx.json) {
    writeJson(ctx.streams, { service, environment, history: entries });
    return undefined;
  }
  ctx.streams.stdout.write(
    `${renderTable(entries, [
      { header: 'version', value: (e) => String(e.version) },
      { header: 'when', value: (e) => age(e.at) },
      { header: 'by', value: (e) => e.actor.name },
      { header: 'action', value: (e) => e.action },
      { header: 'summary', value: (e) => e.summary },
    ])}\n`,
  );
  return undefined;
}

/** `flowline flags stale [--days 30]`. */
export async function stale(ctx: CommandContext): Promise<number | undefined> {
  const service = await serviceOf(ctx);
  const days = Number(ctx.options.days ?? 30);
  if (!(Number.isFinite(days) && days >= 0)) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      `--days \`${String(ctx.options.days)}\` is not a number of days.`,
      { hint: 'e.g. --days 30' },
    );
  }
  const { findStale } = await import('../../flags/service/index.js');
  const overview = await (await ctx.backend()).flags.overview(service);
  const declared = await declaredFlags(ctx);
  const found = findStale(overview, {
    now: new Date(),
    days,
    ...(declared === undefined ? {} : { declared }),
  });
  if (ctx.json) {
    writeJson(ctx.streams, { service, days, stale: found });
    return undefined;
  }
  if (found.length === 0) {
    ctx.streams.stdout.write(
      `No stale flags in ${printable(service)} (temporary flags settled for ${days} days, or expired).\n`,
    );
    return undefined;
  }
  ctx.streams.stdout.write(
    `${renderTable(found, [
      { header: 'flag', value: (f) => f.flag },
      {
        header: 'why',
        value: (f) =>
          f.reason === 'expired' ? `expired ${f.expires ?? ''}` : `serves ${f.variant} everywhere`,
      },
      { header: 'environments', value: (f) => f.environments.join(',') },
      { header: 'changed', value: (f) => age(f.changedAt) },
      { header: 'evaluated', value: (f) => age(f.evaluatedAt) },
    ])}\n${pc.dim('Remove them from the code, then from flowline.yaml.')}\n`,
  );
  return undefined;
}

/** flowline.yaml's `temporary`/`expires` per flag, when the file is there. */
async function declaredFlags(ctx: CommandContext) {
  const file = path.resolve(ctx.settings.cwd, String(ctx.options.config ?? 'flowline.yaml'));
  const { loadConfig } = await import('../../config/index.js');
  const result = await loadConfig(file).catch(() => undefined);
  if (result === undefined || !result.ok) return undefined;
  return new Map(
    Object.entries(result.config.flags).map(([key, flag]) => [
      key,
      { temporary: flag.temporary, expires: flag.expires },
    ]),
  );
}

/**
 * `flowline flags import --from flagd|unleash <file> --env e [--replace]`. Partial by design: flags
 * that cannot be reproduced exactly are skipped with their reason and the rest are written; the
 * summary (also in `--json`) lists imported, imported-with-notes and skipped flags. When every flag
 * is skipped nothing is written and the command fails with FLOWLINE_FLAGS_IMPORT_NOTHING.
 */
export async function importFlags(ctx: CommandContext, file: string): Promise<number | undefined> {
  const { service, environment } = await target(ctx);
  const text = await readText(ctx, file);
  const flags = await import('../../flags/index.js');
  const from = String(ctx.options.from);
  const unleashEnv = ctx.options.unleashEnv as string | undefined;
  // keepCompilable: a flag the engine would refuse is skipped here rather than failing the write.
  const result = flags.importedOrThrow(
    flags.keepCompilable(
      from === 'unleash'
        ? flags.importUnleash(text, unleashEnv === undefined ? {} : { environment: unleashEnv })
        : flags.importFlagd(text),
    ),
  );
  const summary = importSummary(from, result);
  if (summary.imported.length === 0) {
    if (!ctx.json) writeImportSummary(ctx, summary);
    throw nothingImported(summary, file);
  }
  const backend = await ctx.backend();
  const current = await backend.flags.get(service, environment);
  const { service: _s, environment: _e, ...imported } = result.definition;
  const next =
    ctx.options.replace === true
      ? imported
      : {
          ...current.definition,
          segments: { ...current.definition.segments, ...imported.segments },
          flags: { ...current.definition.flags, ...imported.flags },
        };
  const document = await backend.flags.replace(service, environment, next, current.etag);
  if (ctx.json) {
    writeJson(ctx.streams, { ...document, import: summary });
    return undefined;
  }
  changed(
    ctx,
    document,
    `imported ${counted(summary.imported.length, 'flag')} from ${from}`,
    current.version,
  );
  writeImportSummary(ctx, summary);
  return undefined;
}

/** `flowline flags export --to flagd --env e [--out f]`. */
export async function exportFlags(ctx: CommandContext): Promise<number | undefined> {
  const { service, environment } = await target(ctx);
  const document = await (await ctx.backend()).flags.get(service, environment);
  const { exportFlagd } = await import('../../flags/index.js');
  const exported = exportFlagd(document.definition, { now: Date.now() });
  const text = `${jsonText(exported.document)}\n`;
  const out = ctx.options.out as string | undefined;
  if (out === undefined) ctx.streams.stdout.write(text);
  else await writeFile(path.resolve(ctx.settings.cwd, out), text);
  writeNotes(ctx, exported);
  return undefined;
}

/** What an export left out or changed; flag names and messages quote the file. */
function writeNotes(
  ctx: CommandContext,
  result: {
    skipped: readonly { flag: string; message: string }[];
    notes: readonly { flag: string; message: string }[];
  },
): void {
  const note = (label: string, n: { flag: string; message: string }) =>
    ctx.streams.stderr.write(`${label} ${printable(n.flag)}: ${printable(n.message)}\n`);
  for (const n of result.skipped) note(pc.yellow('skipped'), n);
  for (const n of result.notes) note(pc.dim('note'), n);
}

function flagOf(document: FlagDocument, key: string): FlagDefinition {
  const flag = Object.hasOwn(document.definition.flags, key) ? document.definition.flags[key] : undefined;
  if (flag !== undefined) return flag;
  throw new FlowlineError(
    'FLOWLINE_FLAG_NOT_FOUND',
    `No flag \`${key}\` in ${document.service}/${document.environment}.`,
    {
      hint: `List them with \`flowline flags list --env ${document.environment}\`.`,
    },
  );
}

function stateText(flag: FlagDefinition): string {
  if (flag.killed === true) return `killed → ${flag.killVariant ?? flag.defaultVariant ?? CALLER_DEFAULT}`;
  return flag.enabled ? 'on' : 'off';
}

/** Colours a (printable) state text: red when killed, green when on. */
function paintState(text: string, flag: FlagDefinition): string {
  if (flag.killed === true) return pc.red(text);
  return flag.enabled ? pc.green(text) : pc.dim(text);
}

/** What a flag with no variant to serve answers: OpenFeature's caller default. */
const CALLER_DEFAULT = 'the caller’s default';

function servesOf(flag: FlagDefinition): string {
  if (flag.killed === true) return flag.killVariant ?? flag.defaultVariant ?? CALLER_DEFAULT;
  if (!flag.enabled) return CALLER_DEFAULT;
  if (flag.targeting !== undefined) return 'flagd targeting';
  const parts: string[] = [];
  const rules = flag.rules?.length ?? 0;
  if (rules > 0) parts.push(`${counted(rules, 'rule')}, else`);
  const fallthrough =
    flag.fallthrough ?? (flag.defaultVariant === undefined ? undefined : { variant: flag.defaultVariant });
  parts.push(fallthrough === undefined ? CALLER_DEFAULT : serve(fallthrough));
  if ((flag.schedule?.length ?? 0) > 0) parts.push(`(${flag.schedule?.length} scheduled)`);
  return parts.join(' ');
}

function serve(definition: ServeDefinition): string {
  if ('variant' in definition) return definition.variant;
  return definition.rollout.split.map((s) => `${s.variant} ${s.weight}%`).join(' / ');
}

function evaluated(activity: FlagActivity | undefined): string {
  if (activity === undefined || activity.evaluatedAt === null) return '-';
  const total = Object.values(activity.evaluations).reduce((a, b) => a + b, 0);
  return `${age(activity.evaluatedAt)} (${total.toLocaleString('en')})`;
}

async function readText(ctx: CommandContext, file: string): Promise<string> {
  try {
    return await readFile(path.resolve(ctx.settings.cwd, file), 'utf8');
  } catch {
    throw new FlowlineError('FLOWLINE_USAGE', `Cannot read ${file}.`, {
      hint: 'Give the path of a readable file.',
      location: { file },
    });
  }
}

async function readJson(ctx: CommandContext, file: string): Promise<unknown> {
  const text = await readText(ctx, file);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      `${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      {
        hint: 'Give the flag definition as JSON (docs/flags.md, "The model").',
        location: { file },
      },
    );
  }
}
