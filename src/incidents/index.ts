/** Incidents: problems users had in an environment, the change that caused them, and when they ended. */
export { alertKey } from './alerts.js';
export { createIncidents, type IncidentsDeps, lastChange } from './incidents.js';
export type * from './types.js';
