/**
 * The router: data plane of the local runtime. Host-based routing to revisions, weighted splits,
 * pinning, connection draining and golden signals per revision. See docs/adr/0003-router.md.
 */

export { type RouterControl, routerControl } from './client.js';
export { ROUTER_PROTOCOL, type RouterInfo } from './control.js';
export { REVISION_HEADER } from './headers.js';
export {
  ensureRouterProcess,
  type RouterProcess,
  type RouterProcessOptions,
  routerInfoFile,
  routerSocket,
  stopRouter,
} from './process.js';
export { createRouter } from './router.js';
export type {
  SignalStoreOptions,
  SignalSummary,
  SlotEvent,
  SlotSummary,
  StatusClass,
} from './signals.js';
export { STATUS_CLASSES } from './signals.js';
export { DEFAULT_PIN_COOKIE, DEFAULT_PIN_HEADER } from './table.js';
export type * from './types.js';
