/** The andon cord: a red trunk stops promotions until a trunk run passes or an admin releases it. */
export { type AndonDeps, createAndon } from './andon.js';
export type * from './types.js';
