/**
 * Where a request goes: pin header, pin cookie, match rules, then the weighted split (sticky or
 * random); within a revision the instance with fewest requests in flight, round-robin on ties.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type Backend, type Route, TOTAL_WEIGHT } from './table.js';
import type { Instance } from './upstreams.js';

export interface BackendChoice {
  readonly backend: Backend;
  /** Set: the route is sticky and the request had no valid point; send this one as a cookie. */
  readonly newPoint?: number;
}

/** The revision that answers a request, or undefined when no revision of the route has an instance. */
export function chooseBackend(
  route: Route,
  headers: IncomingHttpHeaders,
  random: () => number,
  stickyCookie: string,
): BackendChoice | undefined {
  const pinned = headers[route.pinHeader];
  if (typeof pinned === 'string') {
    const backend = route.byRevision.get(pinned);
    if (backend !== undefined && backend.instances.length > 0) return { backend };
  }
  const cookies = headers.cookie;
  if (cookies !== undefined) {
    const backend = route.byRevision.get(cookieValue(cookies, route.pinCookie) ?? '');
    if (backend !== undefined && backend.instances.length > 0) return { backend };
  }
  for (const rule of route.match) {
    if (rule.backend.instances.length === 0) continue;
    if (rule.header !== undefined && headers[rule.header.name] === rule.header.value)
      return { backend: rule.backend };
    if (rule.cookie !== undefined && cookieValue(cookies, rule.cookie.name) === rule.cookie.value)
      return { backend: rule.backend };
  }
  const { weighted, bands } = route;
  if (weighted.length === 0) {
    // Weights name only revisions without instances: serve from any that has one rather than fail.
    const backend = route.serving[0];
    return backend === undefined ? undefined : { backend };
  }
  let point = route.sticky ? parsePoint(cookieValue(cookies, stickyCookie)) : undefined;
  const newPoint = point === undefined && route.sticky ? Math.floor(random() * TOTAL_WEIGHT) : undefined;
  point ??= newPoint ?? Math.floor(random() * TOTAL_WEIGHT);
  const total = bands[bands.length - 1] ?? TOTAL_WEIGHT;
  // When some weighted revisions have no instance, the others' bands stretch over the whole range.
  const target = total === TOTAL_WEIGHT ? point : Math.floor((point * total) / TOTAL_WEIGHT);
  for (let i = 0; i < weighted.length; i++) {
    if (target < (bands[i] ?? 0)) {
      const backend = weighted[i] as Backend;
      return newPoint === undefined ? { backend } : { backend, newPoint };
    }
  }
  return { backend: weighted[weighted.length - 1] as Backend };
}

/** The instance of a backend with fewest requests in flight, skipping `exclude`; round-robin on ties. */
export function chooseInstance(backend: Backend, exclude?: ReadonlySet<Instance>): Instance | undefined {
  const list = backend.instances;
  const n = list.length;
  if (n === 1) {
    const only = list[0] as Instance;
    return exclude?.has(only) ? undefined : only;
  }
  const start = backend.cursor++ % n;
  let best: Instance | undefined;
  for (let k = 0; k < n; k++) {
    const instance = list[(start + k) % n] as Instance;
    if (exclude?.has(instance)) continue;
    if (best === undefined || instance.inFlight < best.inFlight) best = instance;
  }
  return best;
}

/**
 * Where to retry after an instance failed before answering: another instance of the same
 * revision in the current table, else one of another revision (heaviest first).
 */
export function chooseRetry(
  route: Route,
  revision: string,
  tried: ReadonlySet<Instance>,
): { backend: Backend; instance: Instance } | undefined {
  const same = route.byRevision.get(revision);
  const instance = same === undefined ? undefined : chooseInstance(same, tried);
  if (same !== undefined && instance !== undefined) return { backend: same, instance };
  for (const backend of route.serving) {
    if (backend === same) continue;
    const other = chooseInstance(backend, tried);
    if (other !== undefined) return { backend, instance: other };
  }
  return undefined;
}

/** The value of cookie `name` in a Cookie header, unquoted. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let i = 0;
  while (i < header.length) {
    let end = header.indexOf(';', i);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', i);
    if (eq !== -1 && eq < end && header.slice(i, eq).trim() === name) {
      const value = header.slice(eq + 1, end).trim();
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    }
    i = end + 1;
  }
  return undefined;
}

function parsePoint(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,4}$/.test(value)) return undefined;
  return Number(value);
}
