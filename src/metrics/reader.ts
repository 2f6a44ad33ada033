import { type Kysely, sql } from 'kysely';
import type { Database, DeploymentsTable } from '../store/index.js';
import { FIXED_JOIN, jsonList, jsonRows } from '../store/index.js';
import { outcomeOf } from './outcome.js';
import type {
  ChangeStages,
  CommitRecord,
  DeploymentRecord,
  IncidentRecord,
  UnplannedReason,
  Window,
} from './types.js';

/**
 * Reads the records one scope's keys are computed from, and only those: the store may hold a
 * million deployments and ten million commits, and a 90-day window of one service needs a few
 * thousand of them. Every query walks an index by environment and time, or looks rows up by the
 * ids and shas already found; long id lists go in as one JSON parameter (src/store/sql.ts), so a
 * window is a handful of statements whatever its size.
 *
 * Stored times are UTC ISO-8601 (`toISOString`), so they compare as text; commit times keep the
 * author's offset and are only ever parsed (instant.ts), never compared as text.
 */

type Db = Kysely<Database>;

/** One scope, by store ids, and the names its records carry. */
export interface ScopeIds {
  readonly serviceId: string;
  readonly service: string;
  readonly environmentId: string;
  readonly environment: string;
}

interface DeploymentRow {
  id: string;
  artifact_id: string;
  commit_sha: string | null;
  started_at: string;
  finished_at: string | null;
  status: DeploymentsTable['status'];
  served_at: string | null;
  failed_analysis: number;
  outcome: string | null;
  imported: number;
  kind: string;
  unplanned_reason: string | null;
}

/**
 * Statuses whose deployment put its commits in front of users for good: `rolled_back` completed
 * too, and was replaced later by a rollback deployment (outcome.ts).
 */
const SHIPPED = sql.raw("('succeeded', 'rolled_back')");

const DEPLOYMENT_COLUMNS = sql.raw(
  'd.id, d.artifact_id, d.commit_sha, d.started_at, d.finished_at, d.status, d.served_at, d.failed_analysis, d.outcome, d.imported, d.kind, d.unplanned_reason',
);

function toRecord(row: DeploymentRow, scope: ScopeIds, commits: readonly string[]): DeploymentRecord {
  const kind = row.kind === 'rollback' ? 'rollback' : 'deploy';
  const reason: UnplannedReason | undefined =
    kind === 'rollback'
      ? 'rollback'
      : row.unplanned_reason === 'hotfix' || row.unplanned_reason === 'incident'
        ? row.unplanned_reason
        : undefined;
  return {
    id: row.id,
    service: scope.service,
    environment: scope.environment,
    commitSha: row.commit_sha ?? '',
    artifact: row.artifact_id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    outcome: outcomeOf(row),
    kind,
    planned: reason === undefined,
    ...(reason === undefined ? {} : { unplannedReason: reason }),
    commits,
    ...(row.imported === 1 ? { imported: true } : {}),
  };
}

/** The earliest start of `rows`, or `floor` if earlier (UTC ISO text compares as time). */
function earliestStart(rows: readonly DeploymentRow[], floor: string): string {
  let min = floor;
  for (const row of rows) if (row.started_at < min) min = row.started_at;
  return min;
}

/** `x IN (…)` over a list passed as one JSON parameter. */
const inList = jsonList;

/**
 * The deployments that shipped any of `shas`, as `dc` (the sha) and `d` (the deployment). The
 * join starts from the list (FIXED_JOIN keeps the written order): left to itself, the planner
 * walked every deployment of the environment and probed each against the whole list.
 */
const fromShas = (shas: readonly string[]) =>
  sql`${jsonRows(shas, 'j')}
      ${FIXED_JOIN} deployment_commits dc ON dc.sha = j.value
      ${FIXED_JOIN} deployments d ON d.id = dc.deployment_id`;

async function rows<T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> {
  return (await (query as ReturnType<typeof sql<T>>).execute(db)).rows;
}

/**
 * The scope's deployments the keys look at: those finished in the window, those started in it
 * (running, or finishing after it), and the first one, and first successful one, after it (was
 * the window's last deployment followed by a rollback or a fix; when did a failure recover).
 */
async function windowDeployments(db: Db, scope: ScopeIds, window: Window): Promise<DeploymentRow[]> {
  const from = window.from.toISOString();
  const to = window.to.toISOString();
  const env = scope.environmentId;
  const finished = await rows<DeploymentRow>(
    db,
    sql`SELECT ${DEPLOYMENT_COLUMNS} FROM deployments d
        WHERE d.environment_id = ${env} AND d.finished_at >= ${from} AND d.finished_at < ${to}`,
  );
  const earliest = earliestStart(finished, from);
  const started = await rows<DeploymentRow>(
    db,
    sql`SELECT ${DEPLOYMENT_COLUMNS} FROM deployments d
        WHERE d.environment_id = ${env} AND d.started_at >= ${earliest} AND d.started_at < ${to}`,
  );
  const after = await rows<DeploymentRow>(
    db,
    sql`SELECT * FROM (SELECT ${DEPLOYMENT_COLUMNS} FROM deployments d
          WHERE d.environment_id = ${env} AND d.started_at >= ${to} ORDER BY d.started_at LIMIT 1)
        UNION ALL
        SELECT * FROM (SELECT ${DEPLOYMENT_COLUMNS} FROM deployments d
          WHERE d.environment_id = ${env} AND d.started_at >= ${to} AND d.status IN ${SHIPPED}
          ORDER BY d.started_at LIMIT 1)`,
  );
  const byId = new Map<string, DeploymentRow>();
  for (const row of [...finished, ...started, ...after]) byId.set(row.id, row);
  return [...byId.values()];
}

/** The shas each deployment shipped (its recorded range). */
async function rangesOf(db: Db, ids: readonly string[]): Promise<Map<string, string[]>> {
  const ranges = new Map<string, string[]>(ids.map((id) => [id, []]));
  const found = await rows<{ deployment_id: string; sha: string }>(
    db,
    sql`SELECT deployment_id, sha FROM deployment_commits WHERE deployment_id IN ${inList(ids)}`,
  );
  for (const row of found) ranges.get(row.deployment_id)?.push(row.sha);
  return ranges;
}

interface CommitRow {
  sha: string;
  author: string;
  authored_at: string;
  committed_at: string;
  lines_added: number;
  lines_deleted: number;
  run_id: string | null;
}

async function commitRows(db: Db, serviceId: string, shas: readonly string[]): Promise<CommitRow[]> {
  return rows<CommitRow>(
    db,
    sql`SELECT sha, author, authored_at, committed_at, lines_added, lines_deleted, run_id FROM commits
        WHERE service_id = ${serviceId} AND sha IN ${inList(shas)}`,
  );
}

function toCommit(row: CommitRow): CommitRecord {
  return {
    sha: row.sha,
    author: row.author,
    authoredAt: row.authored_at,
    committedAt: row.committed_at,
    linesAdded: row.lines_added,
    linesDeleted: row.lines_deleted,
  };
}

interface ShippedRow extends DeploymentRow {
  sha: string;
}

/** Every successful deployment to the scope's environment that shipped one of `shas`. */
async function successesShipping(db: Db, scope: ScopeIds, shas: readonly string[]): Promise<ShippedRow[]> {
  return rows<ShippedRow>(
    db,
    sql`SELECT dc.sha, ${DEPLOYMENT_COLUMNS} FROM ${fromShas(shas)}
        WHERE d.environment_id = ${scope.environmentId} AND d.status IN ${SHIPPED}`,
  );
}

async function incidentsOf(db: Db, scope: ScopeIds, since: string): Promise<IncidentRecord[]> {
  const found = await db
    .selectFrom('incidents')
    .select([
      'id',
      'opened_at',
      'acknowledged_at',
      'resolved_at',
      'cause_kind',
      'cause_id',
      'cause_inferred',
      'source',
    ])
    .where('environment_id', '=', scope.environmentId)
    .where('opened_at', '>=', since)
    .execute();
  return found.map((row) => ({
    id: row.id,
    service: scope.service,
    environment: scope.environment,
    openedAt: row.opened_at,
    ...(row.acknowledged_at === null ? {} : { acknowledgedAt: row.acknowledged_at }),
    resolvedAt: row.resolved_at,
    source: row.source as IncidentRecord['source'],
    ...(row.cause_id === null || (row.cause_kind !== 'deployment' && row.cause_kind !== 'flagChange')
      ? {}
      : { cause: { kind: row.cause_kind, id: row.cause_id, inferred: row.cause_inferred === 1 } }),
  }));
}

/** What the five keys of one scope and window are computed from (see `DoraInput`). */
export interface ScopeRecords {
  readonly deployments: DeploymentRecord[];
  readonly commits: CommitRecord[];
  readonly incidents: IncidentRecord[];
  /** The run that first recorded each commit (the value stream's pipeline start). */
  readonly firstRuns: ReadonlyMap<string, string | null>;
}

/**
 * The window's deployments with their ranges, the commits in those ranges, the incidents since
 * the earliest of them, and the earlier successful deployments that already shipped any of
 * those commits (an imported or re-recorded range may repeat a sha; lead time counts a commit
 * at its first success only). Those earlier ones carry just the repeated shas: they finished
 * before the window, so no other key counts them.
 */
export async function readScopeRecords(db: Db, scope: ScopeIds, window: Window): Promise<ScopeRecords> {
  const found = await windowDeployments(db, scope, window);
  const ranges = await rangesOf(
    db,
    found.map((d) => d.id),
  );
  const deployments = found.map((row) => toRecord(row, scope, ranges.get(row.id) ?? []));
  const shas = [...new Set(deployments.flatMap((d) => d.commits))];
  // A recorded range never repeats a sha an earlier successful deployment shipped (the recorder
  // stops there); only a range recorded before older history was imported can. So the repeats
  // are looked for only where imported deployments exist: one probe per sha is most of a
  // window's reading time.
  if (await hasImported(db, scope)) {
    const known = new Set(found.map((d) => d.id));
    const earlier = new Map<string, { row: DeploymentRow; shas: string[] }>();
    for (const row of await successesShipping(db, scope, shas)) {
      if (known.has(row.id)) continue;
      const entry = earlier.get(row.id) ?? { row, shas: [] };
      entry.shas.push(row.sha);
      earlier.set(row.id, entry);
    }
    for (const { row, shas: repeated } of earlier.values()) deployments.push(toRecord(row, scope, repeated));
  }
  const since = earliestStart(found, window.from.toISOString());
  const commitRowsFound = await commitRows(db, scope.serviceId, shas);
  return {
    deployments,
    commits: commitRowsFound.map(toCommit),
    incidents: await incidentsOf(db, scope, since),
    firstRuns: new Map(commitRowsFound.map((c) => [c.sha, c.run_id])),
  };
}

async function hasImported(db: Db, scope: ScopeIds): Promise<boolean> {
  const row = await db
    .selectFrom('deployments')
    .select('id')
    .where('environment_id', '=', scope.environmentId)
    .where('imported', '=', 1)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** How far back a commit recorded but not yet in production counts as work in progress. */
export const WIP_LOOKBACK_MS = 90 * 86_400_000;

/**
 * Every change the value stream of the window looks at, with its milestones: the commits that
 * reached the environment in the window, and the commits recorded from `WIP_LOOKBACK_MS` before
 * the window to its end that had not reached it when the window began (work in progress unless a
 * successful deployment shipped them). Cumulative flow thus counts changes delivered in the window.
 * - pipeline start: the first run that recorded the commit;
 * - build and tests finished: the run that built the artifact that shipped it (for a change not
 *   shipped yet, the first run), so a failed first attempt counts as build time, not as waiting;
 * - staging: the first deployment to another persistent environment of the service shipping it;
 * - production: the first successful deployment to the scope's environment shipping it.
 */
export async function readChanges(
  db: Db,
  scope: ScopeIds,
  window: Window,
  records: ScopeRecords,
): Promise<{ changes: ChangeStages[]; commits: CommitRecord[] }> {
  // Where each sha the records hold first reached the environment (earliest successful finish).
  const production = new Map<string, { id: string; artifact: string; started: string; finished: string }>();
  for (const d of records.deployments) {
    if (d.outcome !== 'succeeded' || d.finishedAt === null) continue;
    for (const sha of d.commits) {
      const first = production.get(sha);
      if (first === undefined || d.finishedAt < first.finished)
        production.set(sha, { id: d.id, artifact: d.artifact, started: d.startedAt, finished: d.finishedAt });
    }
  }
  const from = window.from.toISOString();
  const to = window.to.toISOString();
  const shipped = new Set<string>();
  for (const [sha, d] of production) if (d.finished >= from && d.finished < to) shipped.add(sha);
  // Commits recorded in the lookback that reached the environment before the window are not
  // changes of this window: the index on shas answers that in SQL, before any row is built.
  const recorded = await rows<{ sha: string }>(
    db,
    sql`SELECT c.sha FROM commits c
        WHERE c.service_id = ${scope.serviceId}
          AND c.recorded_at >= ${new Date(window.from.getTime() - WIP_LOOKBACK_MS).toISOString()}
          AND c.recorded_at < ${to}
          AND NOT EXISTS (SELECT 1 FROM deployment_commits dc ${FIXED_JOIN} deployments d ON d.id = dc.deployment_id
                          WHERE dc.sha = c.sha AND d.environment_id = ${scope.environmentId}
                            AND d.status IN ${SHIPPED} AND d.finished_at < ${from})`,
  );
  const shas = [...new Set([...shipped, ...recorded.map((r) => r.sha)])];
  // Only the commits the records do not hold are read again: work in progress, mostly.
  const known = new Map(records.commits.map((c) => [c.sha, c]));
  const unknown = shas.filter((sha) => !known.has(sha));
  const read = await commitRows(db, scope.serviceId, unknown);
  const commits = [
    ...shas.flatMap((sha) => {
      const c = known.get(sha);
      return c === undefined ? [] : [{ commit: c, run: records.firstRuns.get(sha) ?? null }];
    }),
    ...read.map((row) => ({ commit: toCommit(row), run: row.run_id })),
  ];
  // A commit not shipped in the window may have shipped after it: work in progress at its end.
  for (const row of await successesShipping(
    db,
    scope,
    shas.filter((sha) => !production.has(sha)),
  )) {
    const first = production.get(row.sha);
    if (row.finished_at !== null && (first === undefined || row.finished_at < first.finished))
      production.set(row.sha, {
        id: row.id,
        artifact: row.artifact_id,
        started: row.started_at,
        finished: row.finished_at,
      });
  }
  const staging = new Map(
    (
      await rows<{ sha: string; started_at: string }>(
        db,
        sql`SELECT dc.sha, min(d.started_at) AS started_at FROM ${fromShas(shas)}
            JOIN environments e ON e.id = d.environment_id
            WHERE d.service_id = ${scope.serviceId} AND d.environment_id != ${scope.environmentId}
              AND e.kind = 'persistent'
            GROUP BY dc.sha`,
      )
    ).map((r) => [r.sha, r.started_at]),
  );
  const artifacts = [...new Set([...production.values()].map((d) => d.artifact))];
  const firstRuns = [...new Set(commits.flatMap((c) => (c.run === null ? [] : [c.run])))];
  const runs = await rows<{
    id: string;
    artifact_id: string | null;
    started_at: string;
    built: string | null;
    tested: string | null;
  }>(
    db,
    sql`SELECT r.id, r.artifact_id, r.started_at,
          (SELECT max(s.finished_at) FROM run_stages s WHERE s.run_id = r.id AND s.kind = 'build') AS built,
          (SELECT max(s.finished_at) FROM run_stages s WHERE s.run_id = r.id AND s.kind = 'stage') AS tested
        FROM runs r WHERE r.id IN (SELECT value FROM ${jsonRows(firstRuns, 'f')}
          UNION SELECT id FROM runs WHERE artifact_id IN ${inList(artifacts)})`,
  );
  const runById = new Map(runs.map((r) => [r.id, r]));
  const runOfArtifact = new Map<string, (typeof runs)[number]>();
  for (const run of runs) {
    if (run.artifact_id === null) continue;
    const seen = runOfArtifact.get(run.artifact_id);
    if (seen === undefined || run.started_at < seen.started_at) runOfArtifact.set(run.artifact_id, run);
  }
  const changes = commits.map(({ commit: c, run }): ChangeStages => {
    const first = run === null ? undefined : runById.get(run);
    const prod = production.get(c.sha);
    const built = (prod === undefined ? undefined : runOfArtifact.get(prod.artifact)) ?? first;
    const fields: Record<string, string | null | undefined> = {
      deploymentId: prod?.id,
      pipelineStartedAt: first?.started_at,
      buildFinishedAt: built?.built,
      testsFinishedAt: built?.tested,
      stagingStartedAt: staging.get(c.sha),
      productionStartedAt: prod?.started,
      productionFinishedAt: prod?.finished,
    };
    const change: Record<string, string> = { sha: c.sha, committedAt: c.committedAt };
    for (const [key, value] of Object.entries(fields)) if (value != null) change[key] = value;
    return change as unknown as ChangeStages;
  });
  return { changes, commits: commits.map(({ commit }) => commit) };
}
