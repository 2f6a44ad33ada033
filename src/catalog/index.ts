/** The catalog: services, their environments, and the artifacts, runs and deployments recorded for them. */
export { createCatalog } from './catalog.js';
export type * from './types.js';
