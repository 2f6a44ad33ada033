import { type RawBuilder, sql } from 'kysely';

/**
 * The few SQL fragments outside the query builder that other parts need, written once here for
 * the store's dialect (ADR 0002: raw SQL stays in src/store). SQLite today; PostgreSQL has an
 * equivalent of each (`json_array_elements_text`, `jsonb ||`, a plain JOIN its planner orders).
 */

/** A list as one bound parameter, usable as `x IN ${jsonList(ids)}` or as a table source. */
export function jsonList(list: readonly string[]): RawBuilder<unknown> {
  return sql`(SELECT value FROM json_each(${JSON.stringify(list)}))`;
}

/** The rows of a list as a table `alias` with one column, `value`. */
export function jsonRows(list: readonly string[], alias: string): RawBuilder<unknown> {
  return sql`json_each(${JSON.stringify(list)}) AS ${sql.raw(alias)}`;
}

/**
 * A join SQLite keeps in the written order (its `CROSS JOIN`): for lookups that must start from a
 * short list, where its planner would walk a large table against the list instead.
 */
export const FIXED_JOIN = sql.raw('CROSS JOIN');

/** A JSON object column with `patch` merged in (RFC 7396: a null value removes the key). */
export function jsonMerge(column: string, patch: Record<string, unknown>): RawBuilder<string> {
  return sql<string>`json_patch(coalesce(${sql.ref(column)}, '{}'), ${JSON.stringify(patch)})`;
}
