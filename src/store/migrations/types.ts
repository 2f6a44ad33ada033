import type { Kysely } from 'kysely';

/**
 * One step of the store's schema. Migrations see an untyped Kysely (`Kysely<unknown>`): they
 * describe the schema as it was at their version, not as `schema.ts` says it is today.
 */
export interface Migration {
  /** 1, 2, 3, … — the store's schema version once this has run. */
  readonly version: number;
  /** Snake-case, matches the file name: `0001_initial`. */
  readonly name: string;
  up(db: Kysely<unknown>): Promise<void>;
}
