import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Andon, createAndon } from '../andon/index.js';
import { type ArtifactStore, createArtifactStore } from '../artifacts/index.js';
import {
  type Actor,
  type AuditLog,
  createAuditLog,
  detectActor,
  detectWhere,
  type Where,
} from '../audit/index.js';
import {
  type Authorize,
  authorize,
  createSessionService,
  createTokenService,
  type Principal,
  type SessionService,
  type TokenService,
} from '../auth/index.js';
import { type Catalog, createCatalog } from '../catalog/index.js';
import { type Clock, systemClock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import { createEventBus, type EventBus } from '../core/events.js';
import type { Settings } from '../core/settings.js';
import { flowlineVersion } from '../core/version.js';
import {
  createFlagService,
  createFlagTriggers,
  type FlagService,
  FlagStreamHub,
  type FlagTriggers,
  killOnRollback,
} from '../flags/service/index.js';
import { createHistoryImport, type HistoryImport } from '../history/index.js';
import { createIncidents, type Incidents } from '../incidents/index.js';
import { createMetrics, type Metrics } from '../metrics/index.js';
import { createPipeline, createRunIntake, type Pipeline, type RunIntake } from '../pipeline/index.js';
import { createPolicies, type Policies } from '../policy/index.js';
import {
  createQualityRecords,
  createQualityReports,
  type QualityRecords,
  type QualityReports,
} from '../quality/index.js';
import { createSecretBox, createSecretService, keySource, type SecretService } from '../secrets/index.js';
import { LiveEventHub } from '../server/index.js';
import { openStore, type Store } from '../store/index.js';
import { trunkOf } from './policy.js';

/** The wired application: every part, built once from settings. */
export interface Flowline {
  readonly settings: Settings;
  readonly version: string;
  readonly clock: Clock;
  readonly store: Store;
  readonly audit: AuditLog;
  readonly tokens: TokenService;
  /** Dashboard sessions signed in with an API token (docs/adr/0019-browser-sessions.md). */
  readonly sessions: SessionService;
  /** The built dashboard the server serves at `/` (default: `dist/web/` beside the compiled code). */
  readonly dashboardDir: string;
  readonly authorize: Authorize;
  readonly catalog: Catalog;
  readonly artifacts: ArtifactStore;
  readonly andon: Andon;
  /** Problems users had in an environment: what recovery time is measured over. */
  readonly incidents: Incidents;
  /** The DORA keys and the value stream, from the store's first-hand records. */
  readonly metrics: Metrics;
  /** Deployments, incidents and commits from before Flowline, imported and marked so. */
  readonly history: HistoryImport;
  readonly pipeline: Pipeline;
  /** The quality plan's measurements (per run) and the sign-offs of manual deliverables. */
  readonly quality: QualityRecords;
  /** The quality plan assessed for a period (`flowline report`, GET /v1/reports/quality). */
  readonly qualityReports: QualityReports;
  /** What the server allows each service: trunk, gates, hosts, who may deploy (admin-only changes). */
  readonly policies: Policies;
  /** The trunk of a service's policy, seeding the policy from a run's flowline.yaml when new. */
  readonly trunkOf: ReturnType<typeof trunkOf>;
  /** Runs recorded from CI machines (`flowline run` against a server): their stages and logs. */
  readonly intake: RunIntake;
  /** Releases, deployments, flags, the andon, incidents and recorded runs announce what happened here. */
  readonly events: EventBus;
  /** The bus and the audit trail's appends as the dashboard's server-sent events (`GET /v1/events`). */
  readonly liveEvents: LiveEventHub;
  /** Flags per service and environment; `flags.start()` when serving (counts, cross-process changes). */
  readonly flags: FlagService;
  /** Alertmanager and signed-webhook triggers that kill flags. */
  readonly flagTriggers: FlagTriggers;
  /** Secret values per service and environment, sealed in the store; `resolve` hands them to instances. */
  readonly secrets: SecretService;
  /** Flag sets as server-sent events, one serialisation per change for every subscriber. */
  readonly flagStreams: FlagStreamHub;
  /** Who is acting when a command runs embedded (the OS user, or the CI identity). */
  readonly localActor: Actor;
  /**
   * The local actor as a principal: admin over its own store (whoever can open the store file can
   * do anything to it), and what `daemon.json`'s secret stands for.
   */
  readonly localPrincipal: Principal;
  /** Where this process runs, for audit events. */
  readonly where: Where;
  close(): Promise<void>;
}

/** The store file inside Flowline's home folder. */
export function storeFile(settings: Settings): string {
  return path.join(settings.home, 'flowline.db');
}

/**
 * Where the built dashboard is: Vite writes it to `dist/web/`, beside `dist/app/` where this file
 * is compiled to. Run from the sources (tests), that is `src/web/`, which does not exist: the
 * server then says the dashboard is not built.
 */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../web/', import.meta.url));

/**
 * The composition root: the only place that knows how the parts fit together. Everything
 * else receives its collaborators through its constructor.
 */
export async function createFlowline(
  settings: Settings,
  options: {
    clock?: Clock;
    /** False: a missing store is FLOWLINE_STORE_NOT_FOUND instead of a new one (commands that only read). */
    create?: boolean;
    /** The built dashboard folder (default {@link DEFAULT_DASHBOARD_DIR}). */
    dashboardDir?: string;
  } = {},
): Promise<Flowline> {
  if (settings.databaseUrl !== undefined) {
    throw new FlowlineError('FLOWLINE_NOT_SUPPORTED', 'PostgreSQL (DATABASE_URL) is not supported yet.', {
      hint: 'Unset DATABASE_URL to use the embedded SQLite store under .flowline/.',
    });
  }
  const clock = options.clock ?? systemClock;
  // A malformed FLOWLINE_SECRET_KEY stops every command at start, not the first deploy that needs it.
  const box = createSecretBox(keySource(settings));
  const store = await openStore({ file: storeFile(settings), clock, create: options.create !== false });
  const audit = createAuditLog({ store, clock });
  const where = detectWhere(settings.env, settings.hostname);
  const tokens = createTokenService({ store, audit, clock, where });
  const sessions = createSessionService({ store, audit, clock, tokens, where });
  const catalog = createCatalog({ store, clock });
  const artifacts = createArtifactStore({ root: path.join(settings.home, 'artifacts'), clock });
  // Releases, flags, the andon, incidents and recorded runs announce here; live displays listen.
  const events = createEventBus();
  const andon = createAndon({ store, audit, clock, events });
  const incidents = createIncidents({ store, audit, clock, events });
  const metrics = createMetrics({ store });
  const localActor = detectActor(settings.env, settings.osUser);
  const policies = createPolicies({ store, audit, clock });
  const runTrunk = trunkOf(policies);
  const history = createHistoryImport({ store, audit, clock, catalog, policies });
  const quality = createQualityRecords({ store, audit, clock });
  const qualityReports = createQualityReports({
    store,
    records: quality,
    artifacts,
    clock,
    trunkOf: async (service) => (await policies.get(service))?.trunk ?? null,
    dora: async (scope, window) => {
      const [report] = (await metrics.dora({ ...scope, window })).services;
      if (report === undefined) throw new Error(`no report for ${scope.service}/${scope.environment}`);
      return report;
    },
  });
  const pipeline = createPipeline({
    trunkOf: (config) => runTrunk(config.service, config, { actor: localActor, where }),
    store,
    catalog,
    audit,
    andon,
    artifacts,
    clock,
    home: settings.home,
    env: settings.env,
    hostname: settings.hostname,
    actor: localActor,
    extraSecrets: [settings.token, settings.secretKey],
    quality,
  });
  const intake = createRunIntake({
    store,
    catalog,
    audit,
    andon,
    artifacts,
    clock,
    home: settings.home,
    trunkOf: runTrunk,
    quality,
    events,
  });
  const flags = createFlagService({ store, audit, clock, events });
  const flagTriggers = createFlagTriggers({ flags, store, audit, clock, box, incidents });
  // Trigger secrets stored in plain text before migration 0011 are sealed now: the migration has
  // no key (it lives outside the database, possibly given only to the server).
  await flagTriggers.sealPlainSecrets().catch(async (error: unknown) => {
    await flags.close();
    await store.close();
    throw error;
  });
  const secrets = createSecretService({ store, audit, clock, box, catalog });
  const flagStreams = new FlagStreamHub(flags);
  const liveEvents = new LiveEventHub({ events, audit });
  // A failed, rolled back or aborted release kills the flags marked `killOnRollback` there.
  const rollbackKills = killOnRollback({ events, flags, where });
  return {
    settings,
    version: flowlineVersion(),
    events,
    liveEvents,
    flags,
    flagTriggers,
    secrets,
    flagStreams,
    clock,
    store,
    audit,
    tokens,
    sessions,
    dashboardDir: options.dashboardDir ?? DEFAULT_DASHBOARD_DIR,
    authorize,
    catalog,
    artifacts,
    andon,
    incidents,
    metrics,
    history,
    pipeline,
    quality,
    qualityReports,
    policies,
    trunkOf: runTrunk,
    intake,
    localActor,
    localPrincipal: { tokenId: 'local', actor: localActor, role: 'admin', environments: null },
    where,
    async close() {
      rollbackKills.stop();
      await rollbackKills.idle();
      flagStreams.close();
      liveEvents.close();
      await flags.close();
      await store.close();
    },
  };
}
