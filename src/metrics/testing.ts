import type { CommitRecord, DeploymentRecord, IncidentRecord } from './types.js';

/**
 * Record builders for tests and benchmarks: every field has a plain default so a test states only
 * what its case is about.
 */

export function commit(sha: string, committedAt: string, fields: Partial<CommitRecord> = {}): CommitRecord {
  return {
    sha,
    authoredAt: committedAt,
    committedAt,
    author: 'Ada <ada@example.com>',
    linesAdded: 1,
    linesDeleted: 0,
    ...fields,
  };
}

export function deployment(
  id: string,
  startedAt: string,
  finishedAt: string | null,
  fields: Partial<DeploymentRecord> = {},
): DeploymentRecord {
  return {
    id,
    service: 'shop',
    environment: 'production',
    commitSha: fields.commits?.at(-1) ?? `sha-${id}`,
    artifact: `artifact-${id}`,
    startedAt,
    finishedAt,
    outcome: finishedAt === null ? 'running' : 'succeeded',
    kind: 'deploy',
    planned: true,
    commits: [],
    ...fields,
  };
}

export function incident(
  id: string,
  openedAt: string,
  resolvedAt: string | null,
  fields: Partial<IncidentRecord> = {},
): IncidentRecord {
  return {
    id,
    service: 'shop',
    environment: 'production',
    openedAt,
    resolvedAt,
    source: 'manual',
    ...fields,
  };
}
