import path from 'node:path';
import type { Flowline } from '../../app/flowline.js';
import { FlowlineError, isFlowlineError } from '../../core/errors.js';
import type { Settings } from '../../core/settings.js';
import { metricsQuery } from '../../metrics/index.js';
import { type OpenLocalOptions, openLocal } from '../local.js';
import { localDaemon } from './daemon.js';
import { historyLocal } from './history.js';
import { deployCalls, flagCalls } from './remote.js';
import type { Backend } from './types.js';

/** One page of a log read: the same bound the API uses. */
const LOG_PAGE_BYTES = 1024 * 1024;

/**
 * Runs commands in-process against the local store. The store and every part are opened on the
 * first call that needs them, so commands that only talk to the local daemon (deploy, rollback,
 * release) start as fast as the CLI itself. `options`: whether a missing store is created (and
 * announced) or refused, see local.ts.
 */
export async function openEmbeddedBackend(
  settings: Settings,
  options: OpenLocalOptions = {},
): Promise<Backend> {
  let opened: Promise<Flowline> | undefined;
  const app = (): Promise<Flowline> => {
    opened ??= openLocal(settings, options);
    return opened;
  };
  // A running `flowline serve` on this store would see these writes at its next poll (500 ms):
  // `servedVersion` asks it to catch up at once, so a command returns once the change is served.
  const change = async (ifMatch?: string) => {
    const { localActor, where } = await app();
    return { actor: localActor, where, ...(ifMatch === undefined ? {} : { ifMatch }) };
  };
  const daemon = async () => deployCalls(await localDaemon(settings.home));
  const intake = async () => (await app()).intake;
  return {
    mode: 'embedded',
    location: path.join(settings.home, 'flowline.db'),
    // Whoever can open the store file can do anything to it: embedded means admin.
    whoami: async () => ({ actor: (await app()).localActor, role: 'admin', environments: null }),
    createToken: async (input) => {
      const { tokens, localActor } = await app();
      return tokens.create(input, localActor);
    },
    listTokens: async (options) => (await app()).tokens.list(options),
    revokeToken: async (idOrName) => {
      const { tokens, localActor } = await app();
      return tokens.revoke(idOrName, localActor);
    },
    listAudit: async (filter) => (await app()).audit.list(filter),
    verifyAudit: async (anchors) => (await app()).audit.verify(anchors),
    auditHead: async () => (await app()).audit.head(),
    catalog: {
      listServices: async () => (await app()).catalog.listServices(),
      getService: async (name) => (await app()).catalog.getService(name),
      listEnvironments: async (service) => (await app()).catalog.listEnvironments(service),
      listArtifacts: async (filter) => (await app()).catalog.listArtifacts(filter),
      listRuns: async (filter) => (await app()).catalog.listRuns(filter),
      listDeployments: async (filter) => (await app()).catalog.listDeployments(filter),
    },
    // The router and supervisor live in `flowline serve`: these go to it through its daemon file.
    deploy: async (input, onProgress) => (await daemon()).deploy(input, onProgress),
    rollback: async (input, onProgress) => (await daemon()).rollback(input, onProgress),
    releaseStatus: async (service, environment, lines) =>
      (await daemon()).releaseStatus(service, environment, lines),
    releaseControl: async (service, environment, action, full) =>
      (await daemon()).releaseControl(service, environment, action, full),
    createEnvironment: async (input, onProgress) => (await daemon()).createEnvironment(input, onProgress),
    deleteEnvironment: async (input, onProgress) => (await daemon()).deleteEnvironment(input, onProgress),
    // Health needs the runtime: ask the daemon, else read the records without it.
    environmentStatus: async (service) => {
      const running = await daemon().catch((error: unknown) => {
        if (isFlowlineError(error) && error.code === 'FLOWLINE_DAEMON_NOT_RUNNING') return undefined;
        throw error;
      });
      if (running !== undefined) return running.environmentStatus(service);
      const { DeployRecords, environmentStatus } = await import('../../deploy/index.js');
      const { store, catalog, clock } = await app();
      return environmentStatus({ store, catalog, records: new DeployRecords(store, clock) }, service);
    },
    flags: {
      get: async (service, environment) => (await app()).flags.document(service, environment),
      overview: async (service) => (await app()).flags.overview(service),
      history: async (service, environment, limit) =>
        (await app()).flags.history(service, environment, limit),
      replace: async (service, environment, definition, ifMatch) =>
        (await app()).flags.replace(service, environment, definition, await change(ifMatch)),
      setFlag: async (service, environment, flag, definition) =>
        (await app()).flags.setFlag(service, environment, flag, definition, await change()),
      act: async (service, environment, flag, action, variant) =>
        (await app()).flags.act(service, environment, flag, action, { ...(await change()), variant }),
      servedVersion: async (written) => {
        const server = await localDaemon(settings.home).catch((error: unknown) => {
          if (isFlowlineError(error) && error.code === 'FLOWLINE_DAEMON_NOT_RUNNING') return undefined;
          throw error;
        });
        // Without a server, nothing serves the store but the store itself: the write is served.
        return server === undefined ? undefined : flagCalls(server).servedVersion(written);
      },
      listTriggers: async (service, environment) => (await app()).flagTriggers.list(service, environment),
      addTrigger: async (input) => {
        const { flagTriggers, localActor, where } = await app();
        return flagTriggers.add(input, localActor, where);
      },
      removeTrigger: async (service, environment, name) => {
        const { flagTriggers, localActor, where } = await app();
        return flagTriggers.remove(service, environment, name, localActor, where);
      },
    },
    // Embedded, the OS user owns the store: it acts as itself, with every role.
    incidents: {
      open: async (input) => {
        const { incidents, localActor, where } = await app();
        return incidents.open(input, { actor: localActor, where });
      },
      acknowledge: async (id) => {
        const { incidents, localActor, where } = await app();
        return incidents.acknowledge(id, { actor: localActor, where });
      },
      resolve: async (id, resolution) => {
        const { incidents, localActor, where } = await app();
        return incidents.resolve(id, resolution, { actor: localActor, where });
      },
      list: async (filter) => (await app()).incidents.list(filter),
    },
    metrics: {
      dora: async (input) => {
        const { metrics, clock } = await app();
        return metrics.dora(metricsQuery(input, clock.now()));
      },
      flow: async (input) => {
        const { metrics, clock } = await app();
        return metrics.flow(metricsQuery(input, clock.now()));
      },
    },
    history: historyLocal(app),
    quality: {
      report: async (service, period) => {
        const { qualityReports, clock } = await app();
        const { parsePeriod } = await import('../../quality/period.js');
        return qualityReports.report(service, parsePeriod(period, clock.now()));
      },
      signoff: async (input) => {
        const { qualityReports, localActor, where } = await app();
        return qualityReports.signoff(input, { actor: localActor, where });
      },
    },
    pipeline: {
      run: async (runId) => {
        const { run, stages } = await (await intake()).view(runId);
        return { run, stages: stages.map(({ logPath: _, ...stage }) => stage) };
      },
      readLog: async (runId, stage, offset) => (await intake()).readLog(runId, stage, offset, LOG_PAGE_BYTES),
      andon: async (service) => {
        const { andon } = await app();
        return service === undefined ? andon.list() : [await andon.status(service)];
      },
      // Embedded, the OS user owns the store and so acts as admin.
      pullAndon: async (service, reason) => {
        const { andon, localActor, where } = await app();
        return andon.pull(service, reason, { actor: localActor, role: 'admin', where });
      },
      releaseAndon: async (service, reason) => {
        const { andon, localActor, where } = await app();
        return andon.release(service, reason, { actor: localActor, role: 'admin', where });
      },
      verifyArtifact: async (digest) => {
        const { artifacts } = await app();
        const { resolveStoredDigest } = await import('../../artifacts/index.js');
        const {
          digest: id,
          sizeBytes,
          files,
        } = await artifacts.verify(await resolveStoredDigest(artifacts, digest));
        return { digest: id, sizeBytes, files };
      },
    },
    // Embedded, the OS user owns the store and so acts as admin.
    policies: {
      get: async (service) => {
        const policy = await (await app()).policies.get(service);
        if (policy !== undefined) return policy;
        throw new FlowlineError('FLOWLINE_NOT_FOUND', `No policy for ${service} yet.`, {
          hint: 'A policy is seeded by the first `flowline run` of the service, or by `flowline config apply`.',
        });
      },
      plan: async (service, policy) => {
        const { current, changes } = await (await app()).policies.plan(service, policy);
        return { current: current ?? null, changes };
      },
      apply: async (service, policy, expectVersion) => {
        const { policies, catalog, localActor, where } = await app();
        await catalog.ensureService(service);
        return policies.apply(service, policy, { actor: localActor, where }, expectVersion);
      },
    },
    secrets: {
      set: async (service, environment, name, value) => {
        const { secrets, localActor, where } = await app();
        return secrets.set({ service, environment, name, value }, localActor, where);
      },
      list: async (service, environment) => (await app()).secrets.list(service, environment),
      remove: async (service, environment, name) => {
        const { secrets, localActor, where } = await app();
        return secrets.remove(service, environment, name, localActor, where);
      },
    },
    close: async () => {
      // A store that failed to open has already been reported; there is nothing to close.
      const flowline = await opened?.catch(() => undefined);
      await flowline?.close();
    },
  };
}
