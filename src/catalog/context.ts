import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import type { Database, ServiceRow, Store, WriteTx } from '../store/index.js';

/** What every catalog function needs: the store, the clock, and a few shared helpers. */
export interface CatalogContext {
  readonly store: Store;
  readonly clock: Clock;
}

/** Runs `fn` in the caller's transaction when given one, otherwise in a new write transaction. */
export function inTx<T>(
  ctx: CatalogContext,
  tx: WriteTx | undefined,
  fn: (tx: WriteTx) => Promise<T>,
): Promise<T> {
  return tx === undefined ? ctx.store.write(fn) : fn(tx);
}

export function now(ctx: CatalogContext): string {
  return ctx.clock.now().toISOString();
}

export function findServiceRow(db: Kysely<Database>, name: string): Promise<ServiceRow | undefined> {
  return db.selectFrom('services').selectAll().where('name', '=', name).executeTakeFirst();
}

/** The service's row, or FLOWLINE_NOT_FOUND naming it. */
export async function serviceRow(db: Kysely<Database>, name: string): Promise<ServiceRow> {
  const row = await findServiceRow(db, name);
  if (row === undefined)
    throw notFound(`No service is named ${name}.`, 'See the services with `flowline services`.');
  return row;
}

export function notFound(message: string, hint: string): FlowlineError {
  return new FlowlineError('FLOWLINE_NOT_FOUND', message, { hint });
}

/** Names appear in targets like `env:shop/production` and in host names: no slashes or spaces. */
export function checkName(kind: string, name: string): void {
  if (typeof name !== 'string' || !/^[^\s/]{1,128}$/.test(name)) {
    throw new FlowlineError(
      'FLOWLINE_REQUEST_INVALID',
      `The ${kind} name ${JSON.stringify(name)} is not valid.`,
      {
        hint: 'Use 1–128 characters without spaces or slashes.',
        location: { path: kind },
      },
    );
  }
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

export function limitOf(limit: number | undefined): number {
  const value = limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw new FlowlineError(
      'FLOWLINE_REQUEST_INVALID',
      `\`limit\` must be a whole number from 1 to ${MAX_LIMIT}.`,
      {
        location: { path: 'limit' },
      },
    );
  }
  return value;
}
