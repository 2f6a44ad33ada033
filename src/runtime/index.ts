/**
 * The runtime: runs a revision of a service as instances. `Runtime` is the contract a Kubernetes
 * driver will implement too; `createLocalRuntime` is the default, a supervisor of local processes.
 */
export { type BackoffOptions, backoffDelay } from './backoff.js';
export { createLocalRuntime, type LocalRuntimeOptions } from './local.js';
export { freePort } from './ports.js';
export { assertReachable, DEFAULT_RUN_AS, isReachable, resolveRunAs } from './run-as.js';
export type {
  AdoptOptions,
  AdoptReport,
  CloseOptions,
  InstanceState,
  InstanceStatus,
  RevisionHandle,
  RevisionSpec,
  Runtime,
  StartOptions,
  StatusFilter,
  StopOptions,
} from './types.js';
export { revisionKey } from './types.js';
export { instanceDir, type RunAs } from './workdir.js';
