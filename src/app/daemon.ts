import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type AnchorWriter, createAnchorWriter } from '../audit/index.js';
import { type DeployController, retireDue } from '../deploy/index.js';
import { ensureRouterProcess, type RouterControl, type RouterProcess, stopRouter } from '../router/index.js';
import type { Runtime } from '../runtime/index.js';
import { buildServer, listen } from '../server/index.js';
import { createDataPlane, type Workloads, workloadsOf } from './data-plane.js';
import type { Flowline } from './flowline.js';

/** What `flowline serve` runs: the API, the router and the supervisor, in one process. */
export interface Daemon {
  readonly apiUrl: string;
  readonly routerUrl: string;
  readonly routerPort: number;
  readonly deployer: DeployController;
  /** The router process, through its control socket. */
  readonly router: RouterControl;
  readonly runtime: Runtime;
  /**
   * Stops serving. With `keepInstances`, the router and the service instances stay up for the
   * next start to adopt (an upgrade of Flowline itself); otherwise they are stopped gracefully.
   */
  stop(options?: { keepInstances?: boolean }): Promise<void>;
}

export interface DaemonOptions {
  readonly apiPort: number;
  readonly routerPort: number;
  readonly host: string;
  readonly logger?: boolean;
  readonly log?: (line: string) => void;
  /** How often expired previews and abandoned recorded runs are reaped (default 30 s; tests lower it). */
  readonly reapIntervalMs?: number;
}

/** The file through which local CLI commands find the running server (mode 0600). */
export function daemonFile(home: string): string {
  return path.join(home, 'daemon.json');
}

export interface DaemonInfo {
  readonly pid: number;
  readonly apiUrl: string;
  readonly routerUrl: string;
  readonly routerPort: number;
  /** The local access secret (see server/auth.ts LocalAccess). */
  readonly secret: string;
}

/**
 * Starts the data plane and the API over one store. Order matters for "no lost state": the
 * runtime first adopts what a previous process left running, then unfinished deployments are
 * finished, resumed or undone and every route is rebuilt, and only then are the router and the
 * API opened.
 */
export async function startDaemon(flowline: Flowline, options: DaemonOptions): Promise<Daemon> {
  const log = options.log ?? (() => {});
  const { clock, settings } = flowline;
  // First, so a bad FLOWLINE_AUDIT_ANCHOR stops the start before anything runs.
  const anchor = createAnchorWriter({ audit: flowline.audit, file: settings.auditAnchor, clock, log });
  await anchor.start();
  const workloads = workloadsOf(settings, log);
  // The data plane outlives this process: adopt the router an earlier start left serving, or
  // start one (it listens only once every route is rebuilt, below).
  const router = await ensureRouterProcess({
    home: settings.home,
    logFile: path.join(settings.home, 'logs', 'router.log'),
    want: { port: options.routerPort, host: options.host },
    log,
  });
  try {
    return await serve(flowline, options, router, workloads, anchor, log);
  } catch (error) {
    // A router this start spawned goes with it; an adopted one keeps serving as it did.
    if (router.adopted) await router.control.close();
    else await stopRouter(router.control, router.pid, 0).catch(() => undefined);
    await anchor.stop();
    throw error;
  }
}

/** The rest of the start, once the router process is there: see {@link startDaemon}. */
async function serve(
  flowline: Flowline,
  options: DaemonOptions,
  router: RouterProcess,
  workloads: Workloads,
  anchor: AnchorWriter,
  log: (line: string) => void,
): Promise<Daemon> {
  const { settings } = flowline;
  let listening = router.info.listening;
  const urlFor = (host: string) => `http://${host.toLowerCase()}:${listening?.port ?? options.routerPort}/`;
  const plane = createDataPlane(flowline, workloads, { control: router.control, urlFor }, log);
  const { runtime, records, deployer, environments, runs } = plane;

  // An adopted instance that crashes later is restarted with its secrets, read from the store of
  // the environment its revision was deployed with (a preview's: its template's).
  const adopted = await runtime.adopt({
    secrets: async ({ service, environment, revision, names }) => {
      const scope = (await records.revision(revision))?.spec.secrets.environment ?? environment;
      return flowline.secrets.resolve(service, scope, names);
    },
  });
  if (adopted.adopted.length + adopted.cleaned.length > 0) {
    log(`adopted ${adopted.adopted.length} running instance(s), cleaned up ${adopted.cleaned.length}`);
  }
  const recovery = await deployer.recover({ where: flowline.where, log });
  if (recovery.routes.length > 0)
    log(`serving ${recovery.routes.length} route(s): ${recovery.routes.join(', ')}`);
  // An adopted router may hold routes the store no longer has (deleted while nothing listened).
  const stale = (await router.control.routes()).filter((r) => !recovery.routes.includes(r.host));
  for (const route of stale) await router.control.removeRoute(route.host);
  // A new router listens once every route is rebuilt: until then it would answer 404 to all.
  listening ??= await router.control.listen(options.routerPort, options.host);
  const routerListening = listening;

  // Warm revisions are retired when their time is up; a missed tick is caught by the next one.
  const retirer = setInterval(() => {
    retireDue(plane.deps).catch((error: unknown) => log(`retiring warm revisions failed: ${String(error)}`));
  }, 1000);
  retirer.unref();

  // Previews past their time to live are deleted, including those that expired while Flowline
  // was down; teardowns a killed Flowline left half-done are finished first. Runs recorded from
  // CI machines whose runner went silent (a killed job) are marked failed.
  const swept = await environments.sweep();
  if (swept.length > 0) log(`stopped ${swept.length} revision(s) of deleted environments`);
  const reap = () =>
    Promise.all([
      environments
        .reapExpired(flowline.where)
        .then((deleted) => {
          if (deleted.length > 0) log(`deleted expired preview(s): ${deleted.join(', ')}`);
        })
        .catch((error: unknown) => log(`deleting expired previews failed: ${String(error)}`)),
      runs
        .reap()
        .then((reaped) => {
          if (reaped.length > 0) log(`runner stopped reporting, run(s) marked failed: ${reaped.join(', ')}`);
        })
        .catch((error: unknown) => log(`reaping abandoned runs failed: ${String(error)}`)),
    ]);
  await reap();
  const reaper = setInterval(reap, options.reapIntervalMs ?? 30_000);
  reaper.unref();

  const secret = randomBytes(32).toString('base64url');
  const app = await buildServer(
    {
      ...flowline,
      deploy: deployer,
      records,
      environments,
      business: plane.business,
      routerMetrics: () => router.control.metrics(),
      local: {
        secret,
        principal: flowline.localPrincipal,
      },
    },
    { logger: options.logger ?? false },
  );
  const api = await listen(app, { port: options.apiPort, host: options.host });
  flowline.flags.start(); // count evaluations, and see flag changes the embedded CLI writes
  const info: DaemonInfo = {
    pid: process.pid,
    apiUrl: api.url,
    routerUrl: routerListening.url,
    routerPort: routerListening.port,
    secret,
  };
  // Written beside it and renamed: the file is 0600 from its first byte, whatever an older one was.
  const partial = `${daemonFile(settings.home)}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  await rename(partial, daemonFile(settings.home));

  return {
    apiUrl: api.url,
    routerUrl: routerListening.url,
    routerPort: routerListening.port,
    deployer,
    router: router.control,
    runtime,
    async stop(stopOptions = {}) {
      clearInterval(retirer);
      clearInterval(reaper);
      await rm(daemonFile(settings.home), { force: true });
      await api.close();
      // Kept for the next start to adopt (an upgrade): the router goes on serving, as do instances.
      if (stopOptions.keepInstances === true) await router.control.close();
      else await stopRouter(router.control, router.pid, 5000);
      await runtime.close({ stopInstances: stopOptions.keepInstances !== true });
      await anchor.stop();
    },
  };
}
