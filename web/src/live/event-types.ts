/**
 * Every event type `GET /v1/events` sends (docs/api.md, "Live events"). EventSource hands a named
 * event only to a listener registered for that exact name, so a type missing here never reaches a
 * view: test/dashboard-events.test.ts keeps this list and the table in docs/api.md the same.
 */
export const EVENT_TYPES = [
  'deployment.started',
  'deployment.succeeded',
  'deployment.failed',
  'deployment.rolledBack',
  'release.step.completed',
  'release.paused',
  'release.resumed',
  'release.weight.changed',
  'flag.changed',
  'run.started',
  'run.stage.updated',
  'run.finished',
  'andon.pulled',
  'andon.released',
  'incident.opened',
  'incident.acknowledged',
  'incident.resolved',
  'audit.appended',
] as const;
