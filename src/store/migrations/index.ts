import { initial } from './0001_initial.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

/** Every migration this Flowline knows, oldest first. Append only: never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [initial];
