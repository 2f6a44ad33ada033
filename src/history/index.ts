/**
 * History from before Flowline: past deployments and incidents from a CSV or JSON file, and
 * commits from a repository's git history, so the metrics mean something on the first day.
 * Imported records are marked imported; a file is imported whole in one transaction or not at all,
 * and a second import of the same rows changes nothing. docs/metrics.md, "Importing history".
 */
export { DEPLOYMENT_FIELDS, INCIDENT_FIELDS } from './fields.js';
export { createHistoryImport, type HistoryImportDeps } from './importer.js';
export { parseDeployments, parseIncidents } from './parse.js';
export { formatOf } from './read.js';
export type * from './types.js';
export { environmentsOf } from './types.js';
