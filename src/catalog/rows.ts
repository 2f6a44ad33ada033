import type { Where } from '../audit/index.js';
import { outcomeOf } from '../metrics/outcome.js';
import type { ArtifactRow, DeploymentRow, EnvironmentRow, RunRow, ServiceRow } from '../store/index.js';
import type { Artifact, Deployment, Environment, Run, Service } from './types.js';

/** Rows joined with their service's (and environment's) name, turned into domain objects. */
type Named<R> = R & { service_name: string };

export function toService(row: ServiceRow): Service {
  return { id: row.id, name: row.name, configPath: row.config_path, createdAt: row.created_at };
}

export function toEnvironment(row: Named<EnvironmentRow>): Environment {
  return {
    id: row.id,
    service: row.service_name,
    name: row.name,
    kind: row.kind,
    branch: row.branch,
    pullRequest: row.pull_request,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  };
}

export function toArtifact(row: Named<ArtifactRow>): Artifact {
  return {
    id: row.id,
    service: row.service_name,
    cacheKey: row.cache_key,
    commitSha: row.commit_sha,
    sizeBytes: row.size_bytes,
    createdAt: row.created_at,
  };
}

export function toRun(row: Named<RunRow>): Run {
  return {
    id: row.id,
    service: row.service_name,
    status: row.status,
    branch: row.branch,
    commitSha: row.commit_sha,
    commitAuthorTime: row.commit_author_time,
    commitMessage: row.commit_message,
    artifactId: row.artifact_id,
    where: JSON.parse(row.where_json) as Where,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export function toDeployment(row: Named<DeploymentRow> & { environment_name: string }): Deployment {
  return {
    id: row.id,
    service: row.service_name,
    environment: row.environment_name,
    artifactId: row.artifact_id,
    strategy: row.strategy,
    status: row.status,
    actor: row.actor,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    reason: row.reason,
    commitSha: row.commit_sha,
    kind: row.kind,
    unplannedReason: row.unplanned_reason,
    rangeStatus: row.range_status as Deployment['rangeStatus'],
    outcome: outcomeOf(row),
    servedAt: row.served_at,
    imported: row.imported === 1,
    externalId: row.external_id,
  };
}
