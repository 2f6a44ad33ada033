import { createFlowline } from '../../app/flowline.js';
import { isFlowlineError } from '../../core/errors.js';
import type { Settings } from '../../core/settings.js';
import { localDaemon } from './daemon.js';
import { deployCalls } from './remote.js';
import type { Backend } from './types.js';

/** Runs every command in-process against the local store. */
export async function openEmbeddedBackend(settings: Settings): Promise<Backend> {
  const flowline = await createFlowline(settings);
  const { tokens, audit, catalog, localActor, flags, flagTriggers, where } = flowline;
  // A running `flowline serve` on this store sees these writes within half a second (it polls).
  const change = (ifMatch?: string) => ({
    actor: localActor,
    where,
    ...(ifMatch === undefined ? {} : { ifMatch }),
  });
  const daemon = async () => deployCalls(await localDaemon(settings.home));
  return {
    mode: 'embedded',
    location: flowline.store.file,
    // Whoever can open the store file can do anything to it: embedded means admin.
    whoami: async () => ({ actor: localActor, role: 'admin', environments: null }),
    createToken: (input) => tokens.create(input, localActor),
    listTokens: (options) => tokens.list(options),
    revokeToken: (idOrName) => tokens.revoke(idOrName, localActor),
    listAudit: (filter) => audit.list(filter),
    verifyAudit: () => audit.verify(),
    catalog,
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
      return environmentStatus(
        { store: flowline.store, catalog, records: new DeployRecords(flowline.store, flowline.clock) },
        service,
      );
    },
    flags: {
      get: (service, environment) => flags.document(service, environment),
      overview: (service) => flags.overview(service),
      history: (service, environment, limit) => flags.history(service, environment, limit),
      replace: (service, environment, definition, ifMatch) =>
        flags.replace(service, environment, definition, change(ifMatch)),
      setFlag: (service, environment, flag, definition) =>
        flags.setFlag(service, environment, flag, definition, change()),
      act: (service, environment, flag, action, variant) =>
        flags.act(service, environment, flag, action, { ...change(), variant }),
      listTriggers: (service, environment) => flagTriggers.list(service, environment),
      addTrigger: (input) => flagTriggers.add(input, localActor, where),
      removeTrigger: (service, environment, name) =>
        flagTriggers.remove(service, environment, name, localActor, where),
    },
    close: () => flowline.close(),
  };
}
