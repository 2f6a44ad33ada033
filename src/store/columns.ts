import type { ColumnType } from 'kysely';

/** A nullable text column added by a later migration: optional on insert. */
export type LaterText = ColumnType<string | null, string | null | undefined, string | null>;
