import type { ArtifactStore } from '../artifacts/index.js';
import { readSealedConfig } from '../artifacts/index.js';
import type { Actor, Where } from '../audit/index.js';
import { type Deliverable, didYouMean, parseConfig } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import type { DoraReport } from '../metrics/index.js';
import type { Store } from '../store/index.js';
import { type AssessInput, assess, type EnvironmentDeployments, type MeasuredRun } from './assess.js';
import type { Period } from './period.js';
import type { QualityRecords } from './records.js';
import type { DoraSource, QualityReport, Signoff, SignoffInput, Verdict } from './types.js';

export interface QualityReportsDeps {
  readonly store: Store;
  readonly records: QualityRecords;
  readonly artifacts: Pick<ArtifactStore, 'get'>;
  readonly clock: Clock;
  /** The trunk of the service's policy (null: the andon is off, every branch counts). */
  readonly trunkOf: (service: string) => Promise<string | null>;
  /** The DORA keys; absent until a metrics service is wired (then `dora` deliverables have no data). */
  readonly dora?: DoraSource;
}

export interface QualityReports {
  /**
   * Assesses a service's quality plan over a period. The plan is the one sealed in the artifact of
   * the latest trunk run of the period that built one; each measured deliverable is assessed on
   * the latest trunk run of the period that measured it.
   */
  report(service: string, period: Period, options?: ReportOptions): Promise<QualityReport>;
  /**
   * Records a sign-off of a manual deliverable of the service's latest plan (the one sealed in its
   * newest trunk artifact): a deliverable that is not one is refused with a suggestion, so a typo
   * is not recorded against nothing.
   */
  signoff(input: SignoffInput, by: { readonly actor: Actor; readonly where: Where }): Promise<Signoff>;
}

export interface ReportOptions {
  /**
   * The environments the reader may see (a scoped token's), or null for all (the default). The
   * figures of `dora` and `deployment` deliverables of other environments are left out, as
   * `GET /v1/metrics/dora` refuses them: those deliverables read "no data", saying why.
   */
  readonly environments?: readonly string[] | null;
}

/** Why an environment's figures are not in a report for a reader scoped to other environments. */
export function outsideScope(environment: string, scope: readonly string[]): string {
  return `${environment} is outside this token's environments (${scope.join(', ')})`;
}

/** Why `dora` deliverables have no data while no metrics service is wired (see src/app). */
export const DORA_NOT_WIRED = 'metrics service not wired';

interface TrunkRun {
  readonly id: string;
  readonly startedAt: string;
  readonly branch: string | null;
  readonly commitSha: string | null;
  readonly artifactId: string | null;
}

export function createQualityReports(deps: QualityReportsDeps): QualityReports {
  const { store } = deps;

  const trunkRuns = async (
    service: string,
    period: Pick<Period, 'from' | 'to'> | undefined,
    trunk: string | null,
  ): Promise<TrunkRun[]> => {
    let query = store.db
      .selectFrom('runs')
      .innerJoin('services', 'services.id', 'runs.service_id')
      .select([
        'runs.id as id',
        'runs.started_at as startedAt',
        'runs.branch as branch',
        'runs.commit_sha as commitSha',
        'runs.artifact_id as artifactId',
      ])
      .where('services.name', '=', service);
    if (period !== undefined) {
      query = query
        .where('runs.started_at', '>=', period.from.toISOString())
        .where('runs.started_at', '<', period.to.toISOString());
    }
    if (trunk !== null) query = query.where('runs.branch', '=', trunk);
    // Without a period: the newest runs, enough to find the latest that built an artifact.
    if (period === undefined) query = query.where('runs.artifact_id', 'is not', null).limit(20);
    return query.orderBy('runs.started_at', 'desc').orderBy('runs.id', 'desc').execute();
  };

  /** The plan sealed in the newest artifact of these runs that carries one. */
  const planOf = async (runs: readonly TrunkRun[], service: string) => {
    for (const run of runs) {
      if (run.artifactId === null) continue;
      const ref = await deps.artifacts.get(run.artifactId);
      const text = ref === undefined ? undefined : await readSealedConfig(ref.path);
      if (text === undefined) continue;
      const parsed = parseConfig(text, `flowline.yaml (sealed in ${run.artifactId})`);
      if (!parsed.ok || parsed.config.service !== service) continue;
      if (parsed.config.quality.deliverables.length === 0) continue;
      return { deliverables: parsed.config.quality.deliverables, run, artifactId: run.artifactId };
    }
    return undefined;
  };

  const deploymentsOf = async (
    service: string,
    environment: string,
    period: Period,
  ): Promise<EnvironmentDeployments> => {
    const rows = await store.db
      .selectFrom('deployments')
      .innerJoin('services', 'services.id', 'deployments.service_id')
      .innerJoin('environments', 'environments.id', 'deployments.environment_id')
      .select(['deployments.id as id', 'deployments.status as status'])
      .where('services.name', '=', service)
      .where('environments.name', '=', environment)
      .where('deployments.finished_at', '>=', period.from.toISOString())
      .where('deployments.finished_at', '<', period.to.toISOString())
      .orderBy('deployments.finished_at')
      .execute();
    return {
      // `rolled_back`: it completed, and a later rollback replaced it (src/metrics/outcome.ts).
      succeeded: rows.filter((r) => r.status === 'succeeded' || r.status === 'rolled_back').map((r) => r.id),
      failed: rows.filter((r) => r.status === 'failed').map((r) => r.id),
    };
  };

  const doraOf = async (service: string, environment: string, period: Period) => {
    if (deps.dora === undefined) return { unavailable: DORA_NOT_WIRED };
    return deps
      .dora({ service, environment }, { from: period.from, to: period.to })
      .catch((error: unknown): { unavailable: string } => ({
        unavailable: `the DORA keys could not be computed: ${(error as Error).message}`,
      }));
  };

  return {
    async signoff(input, by) {
      const plan = await planOf(
        await trunkRuns(input.service, undefined, await deps.trunkOf(input.service)),
        input.service,
      );
      const manual = (plan?.deliverables ?? []).filter((d) => d.method === 'manual').map((d) => d.id);
      if (!manual.includes(input.deliverable)) {
        throw new FlowlineError(
          'FLOWLINE_NOT_FOUND',
          `${input.service} has no manual deliverable \`${input.deliverable}\` in its quality plan${plan === undefined ? ' (no trunk build carries a plan)' : ''}.`,
          {
            hint: `${manual.length === 0 ? 'Only `method: manual` deliverables are signed off; its plan has none.' : didYouMean(input.deliverable, manual, 'manual deliverables')}`,
            location: { path: 'deliverable' },
          },
        );
      }
      return deps.records.signoff(input, by);
    },

    async report(service, period, options = {}) {
      const trunk = await deps.trunkOf(service);
      const runs = await trunkRuns(service, period, trunk);
      const plan = await planOf(runs, service);
      if (plan === undefined) {
        throw new FlowlineError(
          'FLOWLINE_QUALITY_NO_PLAN',
          `No ${trunk === null ? '' : `${trunk} `}run of ${service} in ${period.label} built an artifact whose flowline.yaml has quality deliverables.`,
          {
            hint: 'Add `quality.deliverables` to flowline.yaml (docs/quality.md) and run the pipeline on the trunk.',
          },
        );
      }
      const input = await gather(service, period, plan.deliverables, runs, options.environments ?? null);
      const deliverables = assess(plan.deliverables, input);
      const summary: Record<Verdict, number> = { pass: 0, fail: 0, 'no data': 0 };
      for (const d of deliverables) summary[d.verdict]++;
      return {
        service,
        period: { label: period.label, from: period.from.toISOString(), to: period.to.toISOString() },
        generatedAt: deps.clock.now().toISOString(),
        plan: { artifactId: plan.artifactId, runId: plan.run.id, trunk },
        summary,
        deliverables,
      };
    },
  };

  async function gather(
    service: string,
    period: Period,
    deliverables: readonly Deliverable[],
    runs: readonly TrunkRun[],
    scope: readonly string[] | null,
  ): Promise<AssessInput> {
    const byId = new Map(runs.map((run) => [run.id, run]));
    const measured = new Map<string, MeasuredRun>();
    // Runs newest first; within a run, the last measurement of a deliverable wins.
    for (const m of await deps.records.measurements(runs.map((r) => r.id))) {
      const run = byId.get(m.runId);
      if (run === undefined) continue;
      const held = measured.get(m.deliverable);
      if (held === undefined || held.run.startedAt <= run.startedAt)
        measured.set(m.deliverable, { measurement: m, run });
    }
    const dora = new Map<string, DoraReport | { unavailable: string }>();
    const deployments = new Map<string, EnvironmentDeployments | { unavailable: string }>();
    for (const d of deliverables) {
      const env = d.environment;
      if (env === undefined) continue;
      if (scope !== null && !scope.includes(env)) {
        const unavailable = { unavailable: outsideScope(env, scope) };
        if (d.method === 'dora') dora.set(env, unavailable);
        if (d.method === 'deployment') deployments.set(env, unavailable);
        continue;
      }
      if (d.method === 'dora' && !dora.has(env)) dora.set(env, await doraOf(service, env, period));
      if (d.method === 'deployment' && !deployments.has(env))
        deployments.set(env, await deploymentsOf(service, env, period));
    }
    const signoffs = new Map<string, Signoff>();
    for (const month of period.months) {
      for (const s of await deps.records.signoffs(service, month)) signoffs.set(s.deliverable, s);
    }
    return { period: period.label, measured, dora, deployments, signoffs };
  }
}
