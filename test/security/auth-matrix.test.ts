import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../../src/app/daemon.js';
import { createFlowline, type Flowline } from '../../src/app/flowline.js';
import { ROLES, type Role, roleAllows } from '../../src/auth/index.js';
import { loadSettings } from '../../src/core/settings.js';
import { tempDir } from '../e2e/helpers.js';

/**
 * Every route × every role × a token for all environments and one limited to `staging`, against
 * the environment the token may act on and one it may not. The routes come from the server's own
 * OpenAPI document (built from the route table), so a new route fails this test until it has a row
 * here saying who may call it. Requests name a service that does not exist: an allowed call ends
 * in 404 (or 400) after authorization, so nothing is changed, deployed or deleted.
 */

type Access = Role | 'public';
/** Where the environment a call acts on comes from: checked against the token's scope. */
type Scope = 'environment' | 'none';

interface Row {
  /**
   * Who may call it: a role, `public`, `signature` (only a request signed with the trigger's
   * key, which no token replaces) or `session` (only the dashboard's session cookie).
   */
  readonly access: Access | 'signature' | 'session';
  /** What the OpenAPI document says, where the route checks a credential of its own. */
  readonly documented?: Access;
  readonly scope: Scope;
  /** The request, acting on environment `env` (ignored by routes about no environment). */
  readonly request: (env: string) => { path: string; body?: unknown; type?: string };
  /** The environment the call acts on when not `env` (a preview's own name). */
  readonly actsOn?: string;
}

const S = 'ghost';
const RUN = 'run_000000000abcdefabcdefabcdef';
const DIGEST = `sha256:${'0'.repeat(64)}`;
const none =
  (p: string, body?: unknown): Row['request'] =>
  () => ({ path: p, ...(body === undefined ? {} : { body }) });
const env =
  (f: (e: string) => string, body?: (e: string) => unknown): Row['request'] =>
  (e) => ({
    path: f(e),
    ...(body === undefined ? {} : { body: body(e) }),
  });
const run = {
  id: RUN,
  service: S,
  branch: 'main',
  commit: null,
  where: { host: 'h' },
  startedAt: '2026-01-01T00:00:00.000Z',
  nodes: [],
};

/** Who may call what: the spec this test holds the server to. */
const ROUTES: Record<string, Row> = {
  'GET /v1/health': { access: 'public', scope: 'none', request: none('/v1/health') },
  'GET /v1/config/schema': { access: 'public', scope: 'none', request: none('/v1/config/schema') },
  'GET /v1/whoami': { access: 'read', scope: 'none', request: none('/v1/whoami') },
  'GET /v1/events': { access: 'read', scope: 'none', request: none('/v1/events') },
  // Signing in takes a token in the body, so no credential in the headers; the other two act on
  // the session cookie alone (test: src/server/routes/session.test.ts).
  'POST /v1/session': { access: 'public', scope: 'none', request: none('/v1/session', { token: '' }) },
  // Answers everyone 200: the session of the cookie, or `session: null` and why (no data without it).
  'GET /v1/session': { access: 'public', scope: 'none', request: none('/v1/session') },
  'DELETE /v1/session': {
    access: 'session',
    documented: 'public',
    scope: 'none',
    request: none('/v1/session'),
  },
  'POST /v1/tokens': {
    access: 'admin',
    scope: 'none',
    request: none('/v1/tokens', { name: 'x y', role: 'read' }),
  },
  'GET /v1/tokens': { access: 'admin', scope: 'none', request: none('/v1/tokens') },
  'DELETE /v1/tokens/{token}': { access: 'admin', scope: 'none', request: none('/v1/tokens/nobody') },
  'GET /v1/audit': { access: 'read', scope: 'none', request: none('/v1/audit') },
  'GET /v1/audit/verify': { access: 'read', scope: 'none', request: none('/v1/audit/verify') },
  'GET /v1/audit/head': { access: 'read', scope: 'none', request: none('/v1/audit/head') },
  'GET /v1/services': { access: 'read', scope: 'none', request: none('/v1/services') },
  'GET /v1/services/{service}': { access: 'read', scope: 'none', request: none(`/v1/services/${S}`) },
  'GET /v1/services/{service}/commits/known': {
    access: 'read',
    scope: 'none',
    request: none(`/v1/services/${S}/commits/known`),
  },
  'GET /v1/environments': { access: 'read', scope: 'none', request: none('/v1/environments') },
  'POST /v1/environments': {
    access: 'deploy',
    scope: 'environment',
    actsOn: 'pr-1',
    request: none('/v1/environments', { service: S, pullRequest: 1 }),
  },
  'GET /v1/environments/status': { access: 'read', scope: 'none', request: none('/v1/environments/status') },
  'DELETE /v1/environments/{service}/{name}': {
    access: 'deploy',
    scope: 'environment',
    request: env((e) => `/v1/environments/${S}/${e}`),
  },
  'GET /v1/artifacts': { access: 'read', scope: 'none', request: none('/v1/artifacts') },
  'GET /v1/artifacts/lookup': {
    access: 'read',
    scope: 'none',
    request: none(`/v1/artifacts/lookup?service=${S}&cacheKey=${DIGEST}`),
  },
  'GET /v1/artifacts/{digest}': { access: 'read', scope: 'none', request: none(`/v1/artifacts/${DIGEST}`) },
  'PUT /v1/artifacts/{digest}': {
    access: 'ci',
    scope: 'none',
    request: () => ({
      path: `/v1/artifacts/${DIGEST}?service=${S}&cacheKey=${DIGEST}`,
      body: '',
      type: 'application/x-tar',
    }),
  },
  'GET /v1/artifacts/{digest}/content': {
    access: 'read',
    scope: 'none',
    request: none(`/v1/artifacts/${DIGEST}/content`),
  },
  'POST /v1/artifacts/{digest}/verify': {
    access: 'read',
    scope: 'none',
    request: none(`/v1/artifacts/${DIGEST}/verify`),
  },
  'GET /v1/runs': { access: 'read', scope: 'none', request: none('/v1/runs') },
  'POST /v1/runs': { access: 'ci', scope: 'none', request: none('/v1/runs', { ...run, service: 'INVALID' }) },
  'GET /v1/runs/{run}': { access: 'read', scope: 'none', request: none(`/v1/runs/${RUN}`) },
  'GET /v1/runs/{run}/stages/{stage}/log': {
    access: 'read',
    scope: 'none',
    request: none(`/v1/runs/${RUN}/stages/unit/log`),
  },
  'PUT /v1/runs/{run}/stages/{stage}/log': {
    access: 'ci',
    scope: 'none',
    request: () => ({ path: `/v1/runs/${RUN}/stages/unit/log`, body: '', type: 'text/plain' }),
  },
  'POST /v1/runs/{run}/stages/{stage}/log': {
    access: 'ci',
    scope: 'none',
    request: () => ({ path: `/v1/runs/${RUN}/stages/unit/log?offset=0`, body: '', type: 'text/plain' }),
  },
  'PATCH /v1/runs/{run}/stages/{stage}': {
    access: 'ci',
    scope: 'none',
    request: none(`/v1/runs/${RUN}/stages/unit`, { status: 'running' }),
  },
  'POST /v1/runs/{run}/heartbeat': {
    access: 'ci',
    scope: 'none',
    request: none(`/v1/runs/${RUN}/heartbeat`),
  },
  'POST /v1/runs/{run}/history': {
    access: 'ci',
    scope: 'none',
    request: none(`/v1/runs/${RUN}/history`, {
      head: 'a'.repeat(40),
      commits: [],
      truncated: false,
      shallow: false,
    }),
  },
  'POST /v1/runs/{run}/quality': {
    access: 'ci',
    scope: 'none',
    request: none(`/v1/runs/${RUN}/quality`, {
      measurements: [
        {
          deliverable: 'cov',
          method: 'coverage',
          stage: 'unit',
          values: { lines: 90 },
          error: null,
          file: 'c.info',
          sha256: null,
        },
      ],
    }),
  },
  'GET /v1/reports/quality': {
    access: 'read',
    scope: 'none',
    request: none(`/v1/reports/quality?service=${S}&period=2026-11`),
  },
  'POST /v1/reports/quality/signoffs': {
    access: 'deploy',
    scope: 'none',
    request: none('/v1/reports/quality/signoffs', {
      service: S,
      deliverable: 'rev',
      period: '2026-11',
      signedBy: 'M',
    }),
  },
  'POST /v1/runs/{run}/finish': {
    access: 'ci',
    scope: 'none',
    request: none(`/v1/runs/${RUN}/finish`, {
      status: 'failed',
      finishedAt: '2026-01-01T00:00:00.000Z',
      artifact: null,
      only: null,
    }),
  },
  'GET /v1/deployments': { access: 'read', scope: 'none', request: none('/v1/deployments') },
  'POST /v1/config/validate': {
    access: 'read',
    scope: 'none',
    request: none('/v1/config/validate', { text: 'version: 1' }),
  },
  'GET /v1/andon': { access: 'read', scope: 'none', request: none('/v1/andon') },
  'GET /v1/incidents': { access: 'read', scope: 'none', request: none('/v1/incidents') },
  'POST /v1/incidents': {
    access: 'read',
    scope: 'environment',
    request: env(
      () => '/v1/incidents',
      (e) => ({ service: S, environment: e, title: 'matrix' }),
    ),
  },
  // Figures list the environment's deployment, commit and incident ids: scoped like the environment.
  'GET /v1/metrics/dora': {
    access: 'read',
    scope: 'environment',
    request: env((e) => `/v1/metrics/dora?service=${S}&environment=${e}`),
  },
  'GET /v1/metrics/flow': {
    access: 'read',
    scope: 'environment',
    request: env((e) => `/v1/metrics/flow?service=${S}&environment=${e}`),
  },
  // An unknown incident: 404 before its environment is known (a real one checks the scope).
  'POST /v1/incidents/{id}/ack': {
    access: 'deploy',
    scope: 'none',
    request: none('/v1/incidents/inc_0/ack', {}),
  },
  'POST /v1/incidents/{id}/resolve': {
    access: 'deploy',
    scope: 'none',
    request: none('/v1/incidents/inc_0/resolve', {}),
  },
  // History about a whole service: only an admin of every environment (the file names `ghost`,
  // so an allowed call ends in 400 FLOWLINE_IMPORT_INVALID with nothing imported).
  'POST /v1/history/deployments': {
    access: 'admin',
    scope: 'none',
    request: none('/v1/history/deployments', {
      file: 'd.csv',
      content: `id,service,environment,commitSha,startedAt,finishedAt,outcome\nd1,${S},staging,${'a'.repeat(40)},2026-01-01T00:00:00Z,2026-01-01T00:01:00Z,succeeded\n`,
    }),
  },
  'POST /v1/history/incidents': {
    access: 'admin',
    scope: 'none',
    request: none('/v1/history/incidents', {
      file: 'i.json',
      content: JSON.stringify({
        incidents: [
          { id: 'i1', service: S, environment: 'staging', title: 't', openedAt: '2026-01-01T00:00:00Z' },
        ],
      }),
    }),
  },
  'POST /v1/history/commits': {
    access: 'admin',
    scope: 'none',
    request: none('/v1/history/commits', { service: S, commits: [], last: true }),
  },
  'POST /v1/andon/{service}/pull': {
    access: 'read',
    scope: 'none',
    request: none(`/v1/andon/${S}/pull`, { reason: 'matrix' }),
  },
  'POST /v1/andon/{service}/release': {
    access: 'admin',
    scope: 'none',
    request: none(`/v1/andon/${S}/release`, { reason: 'matrix' }),
  },
  'GET /v1/policies/{service}': { access: 'read', scope: 'none', request: none(`/v1/policies/${S}`) },
  'PUT /v1/policies/{service}': {
    access: 'admin',
    scope: 'none',
    request: none(`/v1/policies/${S}`, { policy: { trunk: 'main', environments: {} }, expectVersion: 99 }),
  },
  'POST /v1/policies/{service}/plan': {
    access: 'read',
    scope: 'none',
    request: none(`/v1/policies/${S}/plan`, { policy: { trunk: 'main', environments: {} } }),
  },
  'GET /v1/flags/{service}': { access: 'read', scope: 'none', request: none(`/v1/flags/${S}`) },
  'GET /v1/flags/{service}/{environment}': {
    access: 'client',
    scope: 'environment',
    request: env((e) => `/v1/flags/${S}/${e}`),
  },
  'PUT /v1/flags/{service}/{environment}': {
    access: 'deploy',
    scope: 'environment',
    request: env(
      (e) => `/v1/flags/${S}/${e}`,
      () => ({ flags: { x: 1 } }),
    ),
  },
  'GET /v1/flags/{service}/{environment}/stream': {
    access: 'client',
    scope: 'environment',
    request: env((e) => `/v1/flags/${S}/${e}/stream`),
  },
  'POST /v1/flags/{service}/{environment}/evaluate': {
    access: 'client',
    scope: 'environment',
    request: env(
      (e) => `/v1/flags/${S}/${e}/evaluate`,
      () => ({ flag: 'x', context: {} }),
    ),
  },
  'POST /v1/flags/{service}/{environment}/evaluate/bulk': {
    access: 'client',
    scope: 'environment',
    request: env(
      (e) => `/v1/flags/${S}/${e}/evaluate/bulk`,
      () => ({ context: {} }),
    ),
  },
  'POST /v1/flags/{service}/{environment}/evaluations': {
    access: 'client',
    scope: 'environment',
    request: env(
      (e) => `/v1/flags/${S}/${e}/evaluations`,
      () => ({ counts: [] }),
    ),
  },
  'GET /v1/flags/{service}/{environment}/history': {
    access: 'read',
    scope: 'environment',
    request: env((e) => `/v1/flags/${S}/${e}/history`),
  },
  'POST /v1/flags/{service}/{environment}/validate': {
    access: 'read',
    scope: 'environment',
    request: env(
      (e) => `/v1/flags/${S}/${e}/validate`,
      () => ({ flags: { x: 1 } }),
    ),
  },
  'GET /v1/flags/{service}/{environment}/evaluations': {
    access: 'read',
    scope: 'environment',
    request: env((e) => `/v1/flags/${S}/${e}/evaluations`),
  },
  'POST /v1/flags/{service}/{environment}/{flag}': {
    access: 'deploy',
    scope: 'environment',
    request: env(
      (e) => `/v1/flags/${S}/${e}/x`,
      () => ({ variants: { on: true } }),
    ),
  },
  'POST /v1/flags/{service}/{environment}/{flag}/{action}': {
    access: 'deploy',
    scope: 'environment',
    request: env((e) => `/v1/flags/${S}/${e}/x/kill`),
  },
  'GET /v1/flags/{service}/{environment}/triggers': {
    access: 'read',
    scope: 'environment',
    request: env((e) => `/v1/flags/${S}/${e}/triggers`),
  },
  'POST /v1/flags/{service}/{environment}/triggers': {
    access: 'deploy',
    scope: 'environment',
    request: env(
      (e) => `/v1/flags/${S}/${e}/triggers`,
      () => ({ name: 't', kind: 'webhook', flag: 'x' }),
    ),
  },
  'DELETE /v1/flags/{service}/{environment}/triggers/{name}': {
    access: 'deploy',
    scope: 'environment',
    request: env((e) => `/v1/flags/${S}/${e}/triggers/t`),
  },
  // Public to the framework; each checks a credential of its own: a token (Alertmanager sends one
  // as a bearer or basic password), or the trigger's HMAC signature.
  'POST /v1/hooks/alertmanager/{service}/{environment}': {
    access: 'deploy',
    documented: 'public',
    scope: 'environment',
    request: env(
      (e) => `/v1/hooks/alertmanager/${S}/${e}`,
      () => ({ alerts: [] }),
    ),
  },
  'POST /v1/hooks/flags/{service}/{environment}': {
    access: 'signature',
    documented: 'public',
    scope: 'none',
    request: env(
      (e) => `/v1/hooks/flags/${S}/${e}`,
      () => ({}),
    ),
  },
  'GET /v1/secrets/{service}/{environment}': {
    access: 'read',
    scope: 'environment',
    request: env((e) => `/v1/secrets/${S}/${e}`),
  },
  'PUT /v1/secrets/{service}/{environment}/{name}': {
    access: 'admin',
    scope: 'environment',
    request: env(
      (e) => `/v1/secrets/${S}/${e}/API_KEY`,
      () => ({ value: 'v' }),
    ),
  },
  'DELETE /v1/secrets/{service}/{environment}/{name}': {
    access: 'admin',
    scope: 'environment',
    request: env((e) => `/v1/secrets/${S}/${e}/API_KEY`),
  },
  'POST /v1/deploy': {
    access: 'deploy',
    scope: 'environment',
    request: (e) => ({ path: '/v1/deploy', body: { service: S, environment: e } }),
  },
  'POST /v1/rollback': {
    access: 'deploy',
    scope: 'environment',
    request: (e) => ({ path: '/v1/rollback', body: { service: S, environment: e } }),
  },
  'GET /v1/releases/{service}/{environment}': {
    access: 'read',
    scope: 'environment',
    request: env((e) => `/v1/releases/${S}/${e}`),
  },
  'POST /v1/releases/{service}/{environment}/{action}': {
    access: 'deploy',
    scope: 'environment',
    request: env((e) => `/v1/releases/${S}/${e}/abort`),
  },
  'POST /v1/metrics/business': {
    access: 'deploy',
    scope: 'environment',
    request: (e) => ({
      path: '/v1/metrics/business',
      body: { service: S, environment: e, name: 'orders', value: 1 },
    }),
  },
  'GET /metrics': { access: 'read', scope: 'none', request: none('/metrics') },
};

const METHOD_OF = (key: string) => key.split(' ')[0] ?? 'GET';

interface Token {
  readonly name: string;
  readonly role: Role;
  /** null: every environment. */
  readonly scope: readonly string[] | null;
  readonly secret: string;
}

let dir: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let daemon: Daemon;
const tokens: Token[] = [];

beforeAll(async () => {
  dir = await tempDir('flowline-matrix-');
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: path.join(dir.path, 'home') }, dir.path));
  daemon = await startDaemon(flowline, { apiPort: 0, routerPort: 0, host: '127.0.0.1' });
  for (const role of ROLES) {
    for (const scope of role === 'client' ? [['staging']] : [null, ['staging']]) {
      const name = `${role}-${scope === null ? 'all' : 'staging'}`;
      const created = await flowline.tokens.create(
        { name, role, ...(scope === null ? {} : { environments: scope }) },
        flowline.localActor,
      );
      tokens.push({ name, role, scope, secret: created.secret });
    }
  }
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await flowline?.close();
  await dir?.dispose();
});

/** What the server must answer: 401 without a token, 403 when role or scope forbid, else anything else. */
function expected(row: Row, token: Token | undefined, target: string): 401 | 403 | 'allowed' {
  if (row.access === 'public') return 'allowed';
  if (token === undefined || row.access === 'signature' || row.access === 'session') return 401;
  if (!roleAllows(token.role, row.access)) return 403;
  if (token.scope === null) return 'allowed';
  if (row.scope === 'environment') return token.scope.includes(target) ? 'allowed' : 403;
  // A token limited to some environments cannot do admin work that is about none of them.
  return row.access === 'admin' ? 403 : 'allowed';
}

async function call(key: string, row: Row, token: Token | undefined, envName: string): Promise<number> {
  const { path: p, body, type } = row.request(envName);
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token.secret}`;
  let payload: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = type ?? 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const aborted = new AbortController();
  const res = await fetch(daemon.apiUrl + p, {
    method: METHOD_OF(key),
    headers,
    signal: aborted.signal,
    ...(payload === undefined ? {} : { body: payload }),
  });
  // A stream (flag SSE, NDJSON progress) may stay open: the status is all this test needs.
  aborted.abort();
  await res.body?.cancel().catch(() => undefined);
  return res.status;
}

describe('the dashboard pages', () => {
  it('need no token: the page holds no data, the API behind it needs the session', async () => {
    for (const p of ['/', '/releases/hello/production']) {
      const res = await fetch(daemon.apiUrl + p, { headers: { accept: 'text/html' } });
      expect([p, res.status, res.headers.get('content-type')]).toEqual([p, 200, 'text/html; charset=utf-8']);
    }
  });
});

describe('the authorization matrix', () => {
  it('has a row for every route the server serves, and the server documents the same least role', async () => {
    const doc = (await (await fetch(`${daemon.apiUrl}/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { 'x-flowline-role'?: string }>>;
    };
    const served: Record<string, string> = {};
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops))
        served[`${method.toUpperCase()} ${p}`] = op['x-flowline-role'] ?? 'public';
    }
    expect(Object.keys(served).sort()).toEqual(Object.keys(ROUTES).sort());
    for (const [key, row] of Object.entries(ROUTES))
      expect([key, served[key]]).toEqual([key, row.documented ?? row.access]);
  });

  for (const [key, row] of Object.entries(ROUTES)) {
    it(`${key}: ${row.access}${row.scope === 'environment' ? ' on the environment' : ''}`, async () => {
      const seen: string[] = [];
      const wanted: string[] = [];
      const targets = row.scope === 'environment' ? [row.actsOn ?? 'staging', 'production'] : ['staging'];
      for (const token of [undefined, ...tokens]) {
        for (const target of targets) {
          const status = await call(key, row, token, target === row.actsOn ? 'staging' : target);
          const verdict = status === 401 || status === 403 ? status : 'allowed';
          const label = `${token?.name ?? 'no token'} → ${target}`;
          seen.push(`${label}: ${verdict}`);
          wanted.push(`${label}: ${expected(row, token, target)}`);
        }
      }
      expect(seen).toEqual(wanted);
    });
  }
});
