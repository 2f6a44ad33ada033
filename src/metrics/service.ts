import type { Kysely } from 'kysely';
import { FlowlineError } from '../core/errors.js';
import type { Database, Store } from '../store/index.js';
import { timedDeployments } from './deployments.js';
import { computeDora, type DoraReport } from './dora.js';
import { changesInProgress, type ValueStream, valueStream } from './flow.js';
import type { WorkInProgress } from './lead-time.js';
import { readChanges, readScopeRecords, type ScopeIds } from './reader.js';
import type { Scope, Window } from './types.js';
import { parseUtcOffset, parseWindow, type WindowOptions, windowMs } from './window.js';

/** What to measure: one service, or every service that has the environment. */
export interface MetricsQuery {
  /** Every service with the environment when absent. */
  readonly service?: string;
  /** `production` when absent. */
  readonly environment?: string;
  readonly window: Window;
  /** The team's calendar for deployment days and cumulative flow: minutes east of UTC. */
  readonly utcOffsetMinutes?: number;
  /** Which git time starts lead time: `committed` (default) or `authored`. */
  readonly commitTime?: 'committed' | 'authored';
}

/** A query as typed by a user or sent to the API: the window is read where the store is. */
export interface MetricsRequest {
  readonly service?: string;
  readonly environment?: string;
  readonly since?: string;
  readonly from?: string;
  readonly to?: string;
  /** `±HH:MM`: the team's calendar for deployment days and cumulative flow. */
  readonly utcOffset?: string;
  readonly commitTime?: 'committed' | 'authored';
}

/**
 * Reads a request's window and offset against `now`, with coded errors naming the inputs as
 * the caller calls them (`--since` on the command line, `since` in a query string).
 */
export function metricsQuery(
  request: MetricsRequest,
  now: Date,
  options: WindowOptions & { readonly offsetName?: string } = {},
): MetricsQuery {
  const { since, from, to, utcOffset, service, environment, commitTime } = request;
  const window = parseWindow(
    {
      ...(since === undefined ? {} : { since }),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
    },
    now,
    options,
  );
  return {
    ...(service === undefined ? {} : { service }),
    environment: environment ?? DEFAULT_ENVIRONMENT,
    window,
    ...(utcOffset === undefined
      ? {}
      : {
          utcOffsetMinutes: parseUtcOffset(utcOffset, {
            ...options,
            ...(options.offsetName === undefined ? {} : { name: options.offsetName }),
          }),
        }),
    ...(commitTime === undefined ? {} : { commitTime }),
  };
}

/** The five keys of each service in the query. */
export interface DoraResult {
  readonly environment: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly services: readonly DoraReport[];
}

/** One scope's value stream, with work in progress at the window's end. */
export interface FlowReport extends ValueStream {
  readonly scope: Scope;
  readonly window: { readonly from: string; readonly to: string };
  readonly workInProgress: WorkInProgress;
}

export interface FlowResult {
  readonly environment: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly services: readonly FlowReport[];
}

/** The delivery metrics of the store's first-hand records (docs/metrics.md). */
export interface Metrics {
  dora(query: MetricsQuery): Promise<DoraResult>;
  flow(query: MetricsQuery): Promise<FlowResult>;
}

export const DEFAULT_ENVIRONMENT = 'production';

/** The scopes a query names: one service's environment, or every service's that has it. */
async function scopesOf(db: Kysely<Database>, query: MetricsQuery): Promise<ScopeIds[]> {
  const environment = query.environment ?? DEFAULT_ENVIRONMENT;
  let select = db
    .selectFrom('environments')
    .innerJoin('services', 'services.id', 'environments.service_id')
    .select([
      'services.id as serviceId',
      'services.name as service',
      'environments.id as environmentId',
      'environments.name as environment',
    ])
    .where('environments.name', '=', environment)
    .where('environments.deleted_at', 'is', null)
    .orderBy('services.name');
  if (query.service !== undefined) select = select.where('services.name', '=', query.service);
  const scopes = await select.execute();
  if (query.service !== undefined && scopes.length === 0) {
    const service = await db
      .selectFrom('services')
      .select('id')
      .where('name', '=', query.service)
      .executeTakeFirst();
    throw new FlowlineError(
      'FLOWLINE_NOT_FOUND',
      service === undefined
        ? `No service is named ${query.service}.`
        : `Service ${query.service} has no environment named ${environment}.`,
      {
        hint:
          service === undefined
            ? 'See the services with `flowline services`.'
            : 'Name one of its environments with --env (see `flowline env list`).',
        location: { path: service === undefined ? 'service' : 'environment' },
      },
    );
  }
  return scopes;
}

const windowOf = (w: Window) => ({ from: w.from.toISOString(), to: w.to.toISOString() });

/** Metrics over the store: reads each scope's records, then the pure calculations. */
export function createMetrics(deps: { readonly store: Store }): Metrics {
  const db = deps.store.db;
  const options = (query: MetricsQuery) => ({
    ...(query.utcOffsetMinutes === undefined ? {} : { utcOffsetMinutes: query.utcOffsetMinutes }),
    ...(query.commitTime === undefined ? {} : { commitTime: query.commitTime }),
  });

  return {
    async dora(query) {
      const reports: DoraReport[] = [];
      for (const scope of await scopesOf(db, query)) {
        const records = await readScopeRecords(db, scope, query.window);
        reports.push(computeDora(records, scope, query.window, options(query)));
      }
      return {
        environment: query.environment ?? DEFAULT_ENVIRONMENT,
        window: windowOf(query.window),
        services: reports,
      };
    },

    async flow(query) {
      const reports: FlowReport[] = [];
      const range = windowMs(query.window);
      for (const scope of await scopesOf(db, query)) {
        const records = await readScopeRecords(db, scope, query.window);
        const deployments = timedDeployments(records.deployments, scope);
        const { changes, commits } = await readChanges(db, scope, query.window, records);
        const stream = valueStream(changes, commits, deployments, range, query.utcOffsetMinutes ?? 0);
        reports.push({
          scope: { service: scope.service, environment: scope.environment },
          window: windowOf(query.window),
          ...stream,
          workInProgress: changesInProgress(changes, range.to),
        });
      }
      return {
        environment: query.environment ?? DEFAULT_ENVIRONMENT,
        window: windowOf(query.window),
        services: reports,
      };
    },
  };
}
