/** The store: one SQLite file (PostgreSQL later), one query layer (Kysely), one set of migrations. */
export { isUniqueViolation } from './errors.js';
export { MIGRATIONS, type Migration } from './migrations/index.js';
export { type OpenStoreOptions, openStore, type Store } from './open.js';
export type * from './schema.js';
export { FIXED_JOIN, jsonList, jsonMerge, jsonRows } from './sql.js';
export { afterCommit, type WriteTx } from './write.js';
