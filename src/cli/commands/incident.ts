import pc from 'picocolors';
import { FlowlineError } from '../../core/errors.js';
import { formatDuration } from '../../core/time.js';
import type { Incident, IncidentFilter } from '../../incidents/index.js';
import type { CommandContext } from '../context.js';
import { age, printable, renderTable, writeJson } from '../output.js';
import { serviceOf } from './deploy.js';

/** `flowline incident open --env E --title T [--deployment D]`: a problem users have. */
export async function open(ctx: CommandContext): Promise<number | undefined> {
  const service = await serviceOf(ctx);
  const deployment = ctx.options.deployment as string | undefined;
  const incident = await (await ctx.backend()).incidents.open({
    service,
    environment: String(ctx.options.env),
    title: String(ctx.options.title),
    ...(deployment === undefined ? {} : { deployment }),
  });
  if (ctx.json) writeJson(ctx.streams, { incident });
  else {
    ctx.streams.stdout.write(
      `${pc.red('●')} Opened ${pc.bold(incident.id)} in ${printable(`${incident.service}/${incident.environment}`)}: ${printable(incident.title)}\n  ${causeText(incident)}\n`,
    );
  }
  return undefined;
}

/** `flowline incident ack <id>`. */
export async function ack(ctx: CommandContext, id: string): Promise<number | undefined> {
  const incident = await (await ctx.backend()).incidents.acknowledge(id);
  return done(
    ctx,
    incident,
    `Acknowledged ${incident.id} (${printable(incident.acknowledgedBy ?? '')} is on it).`,
  );
}

/** `flowline incident resolve <id> [--resolution text]`. */
export async function resolve(ctx: CommandContext, id: string): Promise<number | undefined> {
  const resolution = ctx.options.resolution as string | undefined;
  const incident = await (await ctx.backend()).incidents.resolve(id, resolution);
  const took = Date.parse(incident.resolvedAt ?? '') - Date.parse(incident.openedAt);
  // Whole seconds: an incident's length is read in minutes and hours, not milliseconds.
  const after = formatDuration(Math.round(took / 1000) * 1000);
  return done(ctx, incident, `${pc.green('●')} Resolved ${incident.id} after ${after}.`);
}

/** `flowline incident list [--service] [--env] [--status S | --all] [--json]`. */
export async function list(ctx: CommandContext): Promise<number | undefined> {
  const status =
    ctx.options.all === true ? 'all' : ((ctx.options.status as string | undefined) ?? 'unresolved');
  const allowed = ['open', 'acknowledged', 'resolved', 'unresolved', 'all'];
  if (!allowed.includes(status)) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      `--status \`${printable(status)}\` is not one of ${allowed.join(', ')}.`,
      {
        hint: 'e.g. --status open, or --all',
      },
    );
  }
  const filter: IncidentFilter = {
    status: status as NonNullable<IncidentFilter['status']>,
    ...(ctx.options.service === undefined ? {} : { service: String(ctx.options.service) }),
    ...(ctx.options.env === undefined ? {} : { environment: String(ctx.options.env) }),
  };
  const incidents = await (await ctx.backend()).incidents.list(filter);
  if (ctx.json) writeJson(ctx.streams, { incidents });
  else if (incidents.length === 0)
    ctx.streams.stdout.write(`No ${status === 'all' ? '' : `${status} `}incidents.\n`);
  else
    ctx.streams.stdout.write(
      `${renderTable(incidents, [
        { header: 'id', value: (i) => i.id },
        { header: 'environment', value: (i) => `${i.service}/${i.environment}` },
        { header: 'status', value: (i) => i.status },
        { header: 'opened', value: (i) => age(i.openedAt) },
        { header: 'title', value: (i) => i.title },
        {
          header: 'cause',
          value: (i) => (i.cause === null ? '-' : `${i.cause.id}${i.cause.inferred ? ' (inferred)' : ''}`),
        },
      ])}\n`,
    );
  return undefined;
}

function done(ctx: CommandContext, incident: Incident, text: string): undefined {
  if (ctx.json) writeJson(ctx.streams, { incident });
  else ctx.streams.stdout.write(`${text}\n`);
  return undefined;
}

function causeText(incident: Incident): string {
  const { cause } = incident;
  if (cause === null) return pc.dim('cause: none recorded (nothing changed in this environment before it)');
  const what = cause.kind === 'deployment' ? `deployment ${cause.id}` : `flag change ${cause.id}`;
  return pc.dim(
    cause.inferred
      ? `cause: ${what}, inferred (the last change before it); name the real one with --deployment`
      : `cause: ${what}`,
  );
}
