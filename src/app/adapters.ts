import type { InstanceRef, RevisionRuntime, SecretSource, TrafficRouter } from '../deploy/index.js';
import type { RouterControl } from '../router/index.js';
import type { InstanceStatus, Runtime } from '../runtime/index.js';

/**
 * The local runtime as the deploy controller's port (revision names are unique across
 * environments). Secret values are read from the store at each start and handed to the runtime
 * only: the deploy records hold names.
 */
export function runtimePort(runtime: Runtime, logDir: string, secrets: SecretSource): RevisionRuntime {
  const keysOf = async (revision: string) => [
    ...new Set((await runtime.status({ revision })).map((s) => s.revisionKey)),
  ];
  return {
    async start(spec, onProgress) {
      const values = await secrets.resolve(spec.service, spec.secrets.environment, spec.secrets.names);
      const handle = await runtime.start(
        { ...spec, secrets: values, logDir },
        { onProgress: (s) => onProgress(`  ${s.id}: ${s.state}${s.port === null ? '' : ` on :${s.port}`}`) },
      );
      return handle.instances.flatMap(toRef);
    },
    async stop(revision) {
      for (const key of await keysOf(revision)) await runtime.stop(key);
    },
    async instances(revision) {
      return (await runtime.status({ revision })).filter((s) => s.state === 'healthy').flatMap(toRef);
    },
    removeData: (service, environment) => runtime.removeData(service, environment),
  };
}

function toRef(status: InstanceStatus): InstanceRef[] {
  return status.url === null ? [] : [{ id: status.id, url: status.url }];
}

/** The router process as the deploy controller's port (each call a request on its control socket). */
export function routerPort(router: RouterControl): TrafficRouter {
  return {
    async setRoute(host, target) {
      await router.setRoute(host, {
        service: target.service,
        environment: target.environment,
        backends: target.backends.map((b) => ({
          revision: b.revision,
          weight: b.weight,
          instances: b.instances,
        })),
        ...(target.match === undefined ? {} : { match: [target.match] }),
        ...(target.sticky === undefined ? {} : { sticky: target.sticky }),
      });
    },
    async removeRoute(host) {
      await router.removeRoute(host);
    },
    async drain(instanceIds) {
      await router.drain(instanceIds);
    },
  };
}
