import { type IncidentCause, lastChange } from '../incidents/index.js';
import type { WriteTx } from '../store/index.js';
import { at, type Problems } from './problems.js';
import type { Resolved } from './targets.js';
import type { ImportedDeployment, ImportedIncident, RowPlace } from './types.js';

/**
 * Rows against what the store holds: a row whose id was imported before with the same values is
 * skipped (importing a file twice, or a longer export of the same tool, changes nothing); with
 * other values it is refused, since history that changed under the metrics would be silent.
 */

const BATCH = 500;

/** The rows not imported yet; a row imported before with different values is a problem. */
export async function checkDeploymentIds(
  tx: WriteTx,
  rows: readonly ImportedDeployment[],
  targets: Resolved,
  problems: Problems,
): Promise<ImportedDeployment[]> {
  const existing = await byExternalId(rows, targets, (serviceId, ids) =>
    tx
      .selectFrom('deployments')
      .select([
        'external_id',
        'environment_id',
        'commit_sha',
        'started_at',
        'finished_at',
        'outcome',
        'kind',
        'unplanned_reason',
        'artifact_id',
      ])
      .where('service_id', '=', serviceId)
      .where('external_id', 'in', ids)
      .execute(),
  );
  return rows.filter((r) => {
    const before = existing.get(`${targets.serviceId(r)}\0${r.id}`);
    if (before === undefined) return true;
    const differs = firstDifference([
      ['environment', before.environment_id, targets.environmentId(r), r.environment],
      ['commitSha', before.commit_sha, r.commitSha],
      ['startedAt', before.started_at, r.startedAt],
      ['finishedAt', before.finished_at, r.finishedAt],
      ['outcome', before.outcome, r.outcome],
      ['kind', before.kind, r.kind],
      ['unplannedReason', before.unplanned_reason, r.unplannedReason],
      [
        'artifact',
        before.artifact_id,
        `imported:${r.service}:${r.artifact ?? r.commitSha}`,
        r.artifact ?? '',
      ],
    ]);
    if (differs !== undefined) conflict(problems, r, differs);
    return false;
  });
}

/** The incidents not imported yet, and the cause of each: named, or inferred as Flowline does. */
export async function checkIncidentIds(
  tx: WriteTx,
  rows: readonly ImportedIncident[],
  targets: Resolved,
  problems: Problems,
): Promise<{ fresh: ImportedIncident[]; causes: Map<ImportedIncident, IncidentCause> }> {
  const existing = await byExternalId(rows, targets, (serviceId, ids) =>
    tx
      .selectFrom('incidents')
      .select(['external_id', 'environment_id', 'title', 'opened_at', 'resolved_at'])
      .where('service_id', '=', serviceId)
      .where('external_id', 'in', ids)
      .execute(),
  );
  const fresh = rows.filter((r) => {
    const before = existing.get(`${targets.serviceId(r)}\0${r.id}`);
    if (before === undefined) return true;
    const differs = firstDifference([
      ['environment', before.environment_id, targets.environmentId(r), r.environment],
      ['title', before.title, r.title],
      ['openedAt', before.opened_at, r.openedAt],
      ['resolvedAt', before.resolved_at, r.resolvedAt],
    ]);
    if (differs !== undefined) conflict(problems, r, differs);
    return false;
  });
  const causes = new Map<ImportedIncident, IncidentCause>();
  if (problems.count > 0) return { fresh, causes };
  for (const r of fresh) {
    const environmentId = targets.environmentId(r);
    if (r.causeDeployment === null) {
      const env = {
        environmentId,
        serviceId: targets.serviceId(r),
        service: r.service,
        environment: r.environment,
      };
      const inferred = await lastChange(tx, env, r.openedAt);
      if (inferred !== null) causes.set(r, inferred);
      continue;
    }
    const named = await tx
      .selectFrom('deployments')
      .innerJoin('environments', 'environments.id', 'deployments.environment_id')
      .select(['deployments.id', 'deployments.environment_id', 'environments.name as environment'])
      .where('deployments.service_id', '=', targets.serviceId(r))
      .where((eb) =>
        eb.or([
          eb('deployments.external_id', '=', r.causeDeployment),
          eb('deployments.id', '=', r.causeDeployment),
        ]),
      )
      .executeTakeFirst();
    if (named === undefined || named.environment_id !== environmentId) {
      problems.add(
        'FLOWLINE_IMPORT_UNKNOWN_CAUSE',
        named === undefined
          ? `no deployment of ${r.service} has the id \`${r.causeDeployment}\``
          : `\`${r.causeDeployment}\` was a deployment to ${named.environment}, not ${r.environment}`,
        at(r.place, 'causeDeployment'),
        'Import the deployments first, or leave it empty: the last change before the incident is then linked, marked inferred.',
      );
      continue;
    }
    causes.set(r, { kind: 'deployment', id: named.id, inferred: false });
  }
  return { fresh, causes };
}

/** Rows of the store that have the external ids of `rows`, by `serviceId\0externalId`. */
async function byExternalId<T extends { external_id: string | null }>(
  rows: readonly { id: string; service: string; environment: string; place: RowPlace }[],
  targets: Resolved,
  query: (serviceId: string, ids: string[]) => Promise<T[]>,
): Promise<Map<string, T>> {
  const ids = new Map<string, string[]>();
  for (const r of rows) {
    const serviceId = targets.serviceId(r);
    const list = ids.get(serviceId) ?? [];
    list.push(r.id);
    ids.set(serviceId, list);
  }
  const found = new Map<string, T>();
  for (const [serviceId, list] of ids) {
    if (serviceId === '') continue;
    for (let i = 0; i < list.length; i += BATCH) {
      for (const row of await query(serviceId, list.slice(i, i + BATCH))) {
        found.set(`${serviceId}\0${row.external_id}`, row);
      }
    }
  }
  return found;
}

/** [field, stored, new, shown] — the first field whose stored value differs. */
type Comparison = readonly [string, unknown, unknown, string?];

function firstDifference(
  pairs: readonly Comparison[],
): { field: string; was: unknown; now: unknown } | undefined {
  for (const [field, was, now, shown] of pairs) {
    if ((was ?? null) !== (now ?? null))
      return { field, was: shown === undefined ? was : 'another value', now: shown ?? now };
  }
  return undefined;
}

function conflict(
  problems: Problems,
  r: { id: string; place: ImportedDeployment['place'] },
  d: { field: string; was: unknown; now: unknown },
): void {
  problems.add(
    'FLOWLINE_IMPORT_DUPLICATE',
    `the id \`${r.id}\` was imported before with another ${d.field} (${String(d.was)}; this row says ${String(d.now)})`,
    at(r.place, d.field),
    'Imported history is not changed by a second import: keep the row as it was, or give a new record a new id.',
  );
}
