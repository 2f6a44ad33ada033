import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BusinessMetricsSink, createMemoryBusinessMetrics } from '../analysis/index.js';
import { FlowlineError } from '../core/errors.js';
import { runnerTimeoutMs, type Settings } from '../core/settings.js';
import {
  DeployController,
  type DeployControllerDeps,
  DeployRecords,
  EnvironmentService,
  SYSTEM_ACTOR,
} from '../deploy/index.js';
import { createRunReaper, type RunReaper } from '../pipeline/index.js';
import type { RouterControl } from '../router/index.js';
import {
  assertReachable,
  createLocalRuntime,
  isReachable,
  type RunAs,
  type Runtime,
  resolveRunAs,
} from '../runtime/index.js';
import { routerPort, runtimePort } from './adapters.js';
import { createAnalyze } from './analysis.js';
import type { Flowline } from './flowline.js';

/**
 * The control plane's side of the data plane, wired: the process supervisor and the release
 * controller over the application's store, policies and secrets, driving the router process
 * through its control socket. Constructing it starts nothing; the daemon (daemon.ts) decides the
 * order things start in and stop.
 */
export interface DataPlane {
  readonly runtime: Runtime;
  readonly records: DeployRecords;
  readonly deployer: DeployController;
  readonly environments: EnvironmentService;
  readonly business: BusinessMetricsSink;
  /** Runs recorded from CI machines whose runner went silent are failed by it. */
  readonly runs: RunReaper;
  /** What the controller acts through (for the warm-revision retirer). */
  readonly deps: DeployControllerDeps;
  /** Where each instance has its own copy of its artifact and scratch, each environment its data. */
  readonly workRoot: string;
}

/** Who instances run as and where their folders are: checked before anything starts. */
export interface Workloads {
  readonly runAs: RunAs | undefined;
  readonly workRoot: string;
}

export function workloadsOf(settings: Settings, log: (line: string) => void): Workloads {
  const runAs = resolveRunAs(settings.runAs);
  return { runAs, workRoot: workRootFor(settings, runAs, log) };
}

export function createDataPlane(
  flowline: Flowline,
  workloads: Workloads,
  router: { readonly control: RouterControl; readonly urlFor: (host: string) => string },
  log: (line: string) => void,
): DataPlane {
  const { store, clock, settings } = flowline;
  const { runAs, workRoot } = workloads;
  const runtime = createLocalRuntime({ store, clock, hostEnv: settings.env, workRoot, runAs });
  const records = new DeployRecords(store, clock);
  const deps: DeployControllerDeps = {
    store,
    catalog: flowline.catalog,
    audit: flowline.audit,
    clock,
    records,
    runtime: runtimePort(runtime, path.join(settings.home, 'logs', 'instances'), flowline.secrets),
    router: routerPort(router.control),
    events: flowline.events,
    artifactPath: async (digest: string) => (await flowline.artifacts.get(digest))?.path,
    assertTrunkGreen: (service: string) => flowline.andon.assertGreen(service),
    policies: flowline.policies,
    authorize: flowline.authorize,
    secrets: flowline.secrets,
    urlFor: router.urlFor,
    // The controller's own incidents: opened by the system, where this Flowline runs.
    incidents: {
      open: (input, tx) =>
        flowline.incidents.openAutomatic(input, { actor: SYSTEM_ACTOR, where: flowline.where }, tx),
    },
  };
  const business = createMemoryBusinessMetrics({ clock });
  const deployer = new DeployController({
    ...deps,
    analyze: createAnalyze({ router: router.control, business, clock }),
  });
  const environments = new EnvironmentService({
    ...deps,
    deploy: (request) => deployer.deploy(request),
    instances: async (revision) =>
      (await runtime.status({ revision })).map(({ id, state, restarts, pid }) => ({
        id,
        state,
        restarts,
        pid,
      })),
    log,
  });
  const runs = createRunReaper({ ...flowline, timeoutMs: runnerTimeoutMs(settings), actor: SYSTEM_ACTOR });
  return { runtime, records, deployer, environments, business, runs, deps, workRoot };
}

/**
 * Where instances get their folders and environments their data (ADR 0010): FLOWLINE_WORK_DIR
 * when set, which must be outside the home and reachable by the run-as user; else `<home>-work`
 * beside the home, or, when the run-as user cannot reach that (a home under a private folder such
 * as /root), a folder of its own under `lasting` (/var/lib), since it holds every environment's
 * persistent data; only without one, under the system's temp folder, which may be cleared.
 */
export function workRootFor(
  settings: Pick<Settings, 'home' | 'workDir'>,
  runAs: RunAs | undefined,
  log: (line: string) => void,
  lasting = '/var/lib',
): string {
  if (settings.workDir !== undefined) {
    assertOutsideHome(settings.workDir, settings.home);
    if (runAs !== undefined) assertReachable(settings.workDir, runAs);
    return settings.workDir;
  }
  const beside = `${settings.home}-work`;
  if (runAs === undefined || isReachable(beside, runAs)) return beside;
  const name = `flowline-work-${createHash('sha256').update(settings.home).digest('hex').slice(0, 12)}`;
  const cannot = `instances run as ${runAs.name}, who cannot reach ${beside}`;
  const own = path.join(lasting, name);
  if (statSync(lasting, { throwIfNoEntry: false })?.isDirectory() === true && isReachable(own, runAs)) {
    log(`${cannot}: their folders and data are under ${own}`);
    return own;
  }
  const temporary = path.join(os.tmpdir(), name);
  log(
    `${cannot}: their folders and data are under ${temporary}, which the system may clear; set FLOWLINE_WORK_DIR to keep their data (FLOWLINE_DATA_DIR)`,
  );
  return temporary;
}

/** Instances never run inside Flowline's home: a work folder there is refused. */
function assertOutsideHome(workDir: string, home: string): void {
  const rel = path.relative(home, workDir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return;
  throw new FlowlineError(
    'FLOWLINE_SETTING_INVALID',
    `FLOWLINE_WORK_DIR ${workDir} is inside FLOWLINE_HOME ${home}.`,
    {
      hint: "Instances must run outside Flowline's home: unset FLOWLINE_WORK_DIR (default: beside the home), or point it elsewhere.",
    },
  );
}
