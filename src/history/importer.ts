import type { AuditLog } from '../audit/index.js';
import type { Catalog } from '../catalog/index.js';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { insertCommits } from '../metrics/index.js';
import type { Policies } from '../policy/index.js';
import type { Store, WriteTx } from '../store/index.js';
import { checkDeploymentIds, checkIncidentIds } from './existing.js';
import { Problems } from './problems.js';
import { recomputeRanges } from './ranges.js';
import { type Resolved, resolveTargets } from './targets.js';
import type { HistoryActor, HistoryImport, ImportedDeployment, ImportResult, RangeCounts } from './types.js';

export interface HistoryImportDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly catalog: Pick<Catalog, 'findService' | 'findEnvironment' | 'ensureEnvironment'>;
  readonly policies: Pick<Policies, 'get'>;
}

const BATCH = 500;

/** Imports history files and repository commits. See {@link HistoryImport}. */
export function createHistoryImport(deps: HistoryImportDeps): HistoryImport {
  const { store, audit, clock } = deps;

  /** One audit event per environment written to: who imported what, from which file. */
  const audited = async (
    tx: WriteTx,
    by: HistoryActor,
    records: 'deployments' | 'incidents',
    file: string,
    counts: Map<string, { imported: number; skipped: number }>,
  ) => {
    for (const [target, c] of counts) {
      await audit.append(
        {
          actor: by.actor,
          action: 'history.import',
          target: `env:${target}`,
          where: by.where,
          details: { records, file, imported: c.imported, skipped: c.skipped },
        },
        tx,
      );
    }
  };

  return {
    async deployments(parsed, by, progress) {
      await declaredEnvironments(deps, parsed.rows);
      return store.write(async (tx) => {
        const problems = new Problems(parsed.file);
        const targets = await resolveTargets(tx, parsed.rows, problems);
        const fresh = await checkDeploymentIds(tx, parsed.rows, targets, problems);
        problems.throwIfAny();
        const now = clock.now();
        const counts = countsByTarget(parsed.rows, fresh);
        for (let i = 0; i < fresh.length; i += BATCH) {
          await insertDeployments(tx, fresh.slice(i, i + BATCH), targets, by, now);
          progress?.('deployments', Math.min(i + BATCH, fresh.length), fresh.length);
        }
        const ranges: RangeCounts = { complete: 0, partial: 0, none: 0 };
        for (const [serviceId, environmentIds] of targets.environmentsByService(parsed.rows)) {
          const c = await recomputeRanges(tx, serviceId, environmentIds, progress);
          for (const k of Object.keys(ranges) as (keyof RangeCounts)[]) ranges[k] += c[k];
        }
        await audited(tx, by, 'deployments', parsed.file, counts);
        return result('deployments', parsed.file, parsed.rows.length, fresh.length, ranges);
      });
    },

    async incidents(parsed, by) {
      await declaredEnvironments(deps, parsed.rows);
      return store.write(async (tx) => {
        const problems = new Problems(parsed.file);
        const targets = await resolveTargets(tx, parsed.rows, problems);
        const { fresh, causes } = await checkIncidentIds(tx, parsed.rows, targets, problems);
        problems.throwIfAny();
        const counts = countsByTarget(parsed.rows, fresh);
        for (let i = 0; i < fresh.length; i += BATCH) {
          const rows = fresh.slice(i, i + BATCH).map((r) => {
            const cause = causes.get(r);
            return {
              id: newId('inc', new Date(Date.parse(r.openedAt))),
              service_id: targets.serviceId(r),
              environment_id: targets.environmentId(r),
              title: r.title,
              source: 'imported',
              status:
                r.resolvedAt !== null
                  ? ('resolved' as const)
                  : r.acknowledgedAt !== null
                    ? ('acknowledged' as const)
                    : ('open' as const),
              opened_at: r.openedAt,
              opened_by: by.actor.name,
              acknowledged_at: r.acknowledgedAt ?? (r.resolvedAt === null ? null : r.resolvedAt),
              acknowledged_by: r.acknowledgedAt === null && r.resolvedAt === null ? null : by.actor.name,
              resolved_at: r.resolvedAt,
              resolved_by: r.resolvedAt === null ? null : by.actor.name,
              resolution: null,
              cause_kind: cause === undefined ? null : 'deployment',
              cause_id: cause?.id ?? null,
              cause_inferred: cause?.inferred === true ? 1 : 0,
              imported: 1,
              external_id: r.id,
            };
          });
          await tx.insertInto('incidents').values(rows).execute();
        }
        await audited(tx, by, 'incidents', parsed.file, counts);
        return result('incidents', parsed.file, parsed.rows.length, fresh.length);
      });
    },

    async commits(page, by, progress) {
      const service = await deps.catalog.findService(page.service);
      if (service === undefined) {
        throw new FlowlineError('FLOWLINE_IMPORT_UNKNOWN_SERVICE', `No service is named ${page.service}.`, {
          hint: 'Register it first: `flowline config apply` (or a `flowline run`) in its repository.',
          location: { path: 'service' },
        });
      }
      const serviceId = (service as { id: string }).id;
      return store.write(async (tx) => {
        const imported = await insertCommits(tx, {
          serviceId,
          commits: page.commits,
          runId: null,
          now: clock.now().toISOString(),
        });
        let ranges: RangeCounts | undefined;
        if (page.last) {
          const environments = await tx
            .selectFrom('deployments')
            .select('environment_id')
            .distinct()
            .where('service_id', '=', serviceId)
            .where('imported', '=', 1)
            .execute();
          ranges = await recomputeRanges(
            tx,
            serviceId,
            environments.map((e) => e.environment_id),
            progress,
          );
          await audit.append(
            {
              actor: by.actor,
              action: 'history.import',
              target: `service:${page.service}`,
              where: by.where,
              details: { records: 'commits', commits: page.commits.length, imported },
            },
            tx,
          );
        }
        return result('commits', page.service, page.commits.length, imported, ranges);
      });
    },
  };
}

function result(
  kind: ImportResult['kind'],
  file: string,
  rows: number,
  imported: number,
  ranges?: RangeCounts,
): ImportResult {
  return {
    kind,
    file,
    rows,
    imported,
    skipped: rows - imported,
    ...(ranges === undefined ? {} : { ranges }),
  };
}

function countsByTarget(
  rows: readonly { service: string; environment: string }[],
  fresh: readonly { service: string; environment: string }[],
): Map<string, { imported: number; skipped: number }> {
  const counts = new Map<string, { imported: number; skipped: number }>();
  const of = (r: { service: string; environment: string }) => {
    const key = `${r.service}/${r.environment}`;
    let c = counts.get(key);
    if (c === undefined) {
      c = { imported: 0, skipped: 0 };
      counts.set(key, c);
    }
    return c;
  };
  for (const r of rows) of(r).skipped++;
  for (const r of fresh) {
    const c = of(r);
    c.skipped--;
    c.imported++;
  }
  return counts;
}

/** The artifact an imported deployment names: never stored here, so marked imported. */
export function importedArtifactId(service: string, row: ImportedDeployment): string {
  return `imported:${service}:${row.artifact ?? row.commitSha}`;
}

/**
 * Status in the store's words, as the controller writes them (src/metrics/outcome.ts): a release
 * sent back after serving users is `failed` with `served_at` set (and `failed_analysis` when its
 * analysis failed); `rolled_back` means a completed deployment a later rollback replaced.
 */
const STATUS = {
  succeeded: 'succeeded',
  failed: 'failed',
  rolledBack: 'failed',
  failedAnalysis: 'failed',
} as const;

async function insertDeployments(
  tx: WriteTx,
  rows: readonly ImportedDeployment[],
  targets: Resolved,
  by: HistoryActor,
  now: Date,
): Promise<void> {
  const artifacts = new Map<string, { service_id: string; commit_sha: string; cache_key: string }>();
  for (const r of rows) {
    const id = importedArtifactId(r.service, r);
    if (!artifacts.has(id)) {
      artifacts.set(id, {
        service_id: targets.serviceId(r),
        commit_sha: r.commitSha,
        cache_key: r.artifact ?? r.commitSha,
      });
    }
  }
  await tx
    .insertInto('artifacts')
    .values(
      [...artifacts].map(([id, a]) => ({
        id,
        ...a,
        size_bytes: 0,
        created_at: now.toISOString(),
        imported: 1,
      })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  await tx
    .insertInto('deployments')
    .values(
      rows.map((r) => ({
        // Ids sort by creation time: an imported one sorts by when it started, among recorded ones.
        id: newId('dep', new Date(Date.parse(r.startedAt))),
        service_id: targets.serviceId(r),
        environment_id: targets.environmentId(r),
        artifact_id: importedArtifactId(r.service, r),
        strategy: 'imported',
        status: STATUS[r.outcome],
        served_at: r.outcome === 'failed' ? null : r.startedAt,
        failed_analysis: r.outcome === 'failedAnalysis' ? 1 : 0,
        actor: by.actor.name,
        started_at: r.startedAt,
        finished_at: r.finishedAt,
        reason: null,
        commit_sha: r.commitSha,
        kind: r.kind,
        unplanned_reason: r.unplannedReason,
        range_status: null,
        imported: 1,
        external_id: r.id,
        outcome: r.outcome,
      })),
    )
    .execute();
}

/**
 * Environments a file names that the service declares in its policy but that have no record yet
 * (nothing was deployed there through Flowline): created, as a first deploy would. Outside the
 * import's transaction (the catalog writes its own); an environment of the policy is harmless to
 * record even when the import is then refused.
 */
async function declaredEnvironments(
  deps: HistoryImportDeps,
  rows: readonly { service: string; environment: string }[],
): Promise<void> {
  const pairs = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = pairs.get(r.service) ?? new Set<string>();
    set.add(r.environment);
    pairs.set(r.service, set);
  }
  for (const [service, environments] of pairs) {
    if ((await deps.catalog.findService(service)) === undefined) continue;
    const policy = await deps.policies.get(service);
    for (const name of environments) {
      if ((await deps.catalog.findEnvironment(service, name)) !== undefined) continue;
      const declared = policy?.environments[name];
      if (declared !== undefined && !declared.ephemeral) {
        await deps.catalog.ensureEnvironment(service, name, 'persistent');
      }
    }
  }
}
