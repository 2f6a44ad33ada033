/**
 * The routing table: validated, compiled routes keyed by host. A table is never changed; a new
 * route builds a new table that replaces the old one in one assignment, so each request sees one
 * consistent table.
 */
import { FlowlineError, type Issue } from '../core/errors.js';
import type { RevisionSignals } from './signals.js';
import type { InstanceSpec, RouteSpec } from './types.js';
import type { Instance } from './upstreams.js';

export const DEFAULT_PIN_HEADER = 'x-flowline-revision';
export const DEFAULT_PIN_COOKIE = 'flowline-revision';
/** Weights are percentages with two decimals, kept as basis points. */
export const TOTAL_WEIGHT = 10_000;

export interface Backend {
  readonly revision: string;
  /** Basis points, 0..10000. */
  readonly weight: number;
  readonly instances: readonly Instance[];
  readonly signals: RevisionSignals;
  /** Round-robin cursor (mutable state, not routing configuration). */
  cursor: number;
}

export interface Route {
  readonly host: string;
  readonly spec: RouteSpec;
  readonly backends: readonly Backend[];
  readonly byRevision: ReadonlyMap<string, Backend>;
  /** Backends with weight and instances, with their cumulative weight bands. */
  readonly weighted: readonly Backend[];
  readonly bands: readonly number[];
  /** Backends with instances, heaviest first: where traffic goes when no weighted one has any. */
  readonly serving: readonly Backend[];
  readonly pinHeader: string;
  readonly pinCookie: string;
  readonly match: readonly {
    readonly header?: { readonly name: string; readonly value: string };
    readonly cookie?: { readonly name: string; readonly value: string };
    readonly backend: Backend;
  }[];
  readonly sticky: boolean;
}

export type Table = ReadonlyMap<string, Route>;

const HOST_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Lower-cases a host name and drops a port and a trailing dot (`Shop.Localhost:8080.` → `shop.localhost`). */
export function normaliseHost(header: string | undefined): string {
  if (header === undefined) return '';
  let host = header.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  if (colon !== -1) host = host.slice(0, colon);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** Validates a route spec (reporting every problem) and resolves its instances and signals. */
export function compileRoute(
  host: string,
  spec: RouteSpec,
  resolve: {
    instance: (id: string, url: string) => Instance;
    signals: (revision: string) => RevisionSignals;
    /** Instance ids other routes use, with their URLs, to refuse one id at two URLs. */
    otherUrls: ReadonlyMap<string, string>;
  },
): Route {
  const issues = validate(host, spec, resolve.otherUrls);
  if (issues.length > 0) {
    const first = issues[0];
    throw new FlowlineError(
      'FLOWLINE_ROUTE_INVALID',
      `Route for ${host || '(empty host)'} is invalid: ${first?.path ?? ''} ${first?.message ?? ''}`.trim(),
      {
        issues,
        hint: 'Weights are percentages 0–100 (two decimals) summing to 100; instance URLs look like http://127.0.0.1:PORT.',
      },
    );
  }
  const backends: Backend[] = spec.backends.map((b) => ({
    revision: b.revision,
    weight: Math.round(b.weight * 100),
    instances: b.instances.map((i) => resolve.instance(i.id, originOf(i.url) ?? i.url)),
    signals: resolve.signals(b.revision),
    cursor: 0,
  }));
  const byRevision = new Map(backends.map((b) => [b.revision, b]));
  const weighted = backends.filter((b) => b.weight > 0 && b.instances.length > 0);
  const bands: number[] = [];
  let sum = 0;
  for (const b of weighted) {
    sum += b.weight;
    bands.push(sum);
  }
  return {
    host,
    spec: freeze(spec),
    backends,
    byRevision,
    weighted,
    bands,
    serving: backends.filter((b) => b.instances.length > 0).sort((a, b) => b.weight - a.weight),
    pinHeader: (spec.pin?.header ?? DEFAULT_PIN_HEADER).toLowerCase(),
    pinCookie: spec.pin?.cookie ?? DEFAULT_PIN_COOKIE,
    match: (spec.match ?? []).map((m) => ({
      ...(m.header === undefined
        ? {}
        : { header: { name: m.header.name.toLowerCase(), value: m.header.value } }),
      ...(m.cookie === undefined ? {} : { cookie: m.cookie }),
      backend: byRevision.get(m.revision) as Backend,
    })),
    sticky: spec.sticky === true,
  };
}

function validate(host: string, spec: RouteSpec, otherUrls: ReadonlyMap<string, string>): Issue[] {
  const issues: Issue[] = [];
  const add = (path: string, message: string) =>
    issues.push({ code: 'FLOWLINE_ROUTE_INVALID', path, message });
  if (!HOST_RE.test(host))
    add('host', `"${host}" is not a host name (letters, digits, dots and dashes; no port).`);
  if (typeof spec.service !== 'string' || spec.service === '') add('service', 'must be a non-empty string.');
  if (typeof spec.environment !== 'string' || spec.environment === '')
    add('environment', 'must be a non-empty string.');
  if (!Array.isArray(spec.backends) || spec.backends.length === 0) {
    add('backends', 'must list at least one revision.');
    return issues;
  }
  const revisions = new Set<string>();
  const ids = new Set<string>();
  let total = 0;
  spec.backends.forEach((b, i) => {
    const at = `backends[${i}]`;
    if (typeof b.revision !== 'string' || b.revision === '')
      add(`${at}.revision`, 'must be a non-empty string.');
    else if (revisions.has(b.revision)) add(`${at}.revision`, `"${b.revision}" appears twice.`);
    revisions.add(b.revision);
    const bp = b.weight * 100;
    if (
      typeof b.weight !== 'number' ||
      !(b.weight >= 0 && b.weight <= 100) ||
      Math.abs(bp - Math.round(bp)) > 1e-6
    )
      add(`${at}.weight`, `must be a percentage from 0 to 100 with at most two decimals, got ${b.weight}.`);
    else total += Math.round(bp);
    if (!Array.isArray(b.instances)) add(`${at}.instances`, 'must be a list (empty while none runs).');
    const instances: readonly InstanceSpec[] = Array.isArray(b.instances) ? b.instances : [];
    instances.forEach((inst, j) => {
      const ip = `${at}.instances[${j}]`;
      if (typeof inst.id !== 'string' || inst.id === '') add(`${ip}.id`, 'must be a non-empty string.');
      else if (ids.has(inst.id)) add(`${ip}.id`, `"${inst.id}" appears twice in the route.`);
      ids.add(inst.id);
      const origin = originOf(inst.url);
      if (origin === undefined) add(`${ip}.url`, `"${inst.url}" is not an http://host:port origin.`);
      else if (otherUrls.has(inst.id) && otherUrls.get(inst.id) !== origin)
        add(`${ip}.url`, `instance "${inst.id}" is at ${otherUrls.get(inst.id)} in another route.`);
    });
  });
  if (issues.every((x) => !x.path?.endsWith('.weight')) && total !== 10_000)
    add('backends', `weights must sum to 100, got ${total / 100}.`);
  for (const [key, name] of [
    ['pin.header', spec.pin?.header],
    ['pin.cookie', spec.pin?.cookie],
  ] as const) {
    if (name !== undefined && !TOKEN_RE.test(name))
      add(key, `"${name}" is not a valid header or cookie name.`);
  }
  (spec.match ?? []).forEach((m, i) => {
    if (!revisions.has(m.revision))
      add(`match[${i}].revision`, `"${m.revision}" is not one of the backends.`);
    if (m.header === undefined && m.cookie === undefined) add(`match[${i}]`, 'needs a header or a cookie.');
    for (const [kind, pair] of [
      ['header', m.header],
      ['cookie', m.cookie],
    ] as const) {
      if (pair !== undefined && !TOKEN_RE.test(pair.name))
        add(`match[${i}].${kind}.name`, `"${pair.name}" is not a valid name.`);
    }
  });
  return issues;
}

function originOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    const u = new URL(url);
    const bare =
      u.pathname === '/' && u.search === '' && u.hash === '' && u.username === '' && u.password === '';
    return u.protocol === 'http:' && u.port !== '' && bare ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

function freeze<T>(value: T): T {
  const copy = structuredClone(value);
  const deep = (v: unknown) => {
    if (typeof v === 'object' && v !== null) {
      Object.freeze(v);
      for (const child of Object.values(v)) deep(child);
    }
  };
  deep(copy);
  return copy;
}
