import type { AuditFilter } from '../../audit/types.js';
import { FlowlineError, isErrorCode } from '../../core/errors.js';
import type { Backend } from './types.js';

/** Talks to a Flowline server; every error comes back as the server's FlowlineError. */
export function openRemoteBackend(serverUrl: string, token: string | undefined): Backend {
  const base = normaliseBaseUrl(serverUrl);
  const call = async <T>(method: string, route: string, body?: unknown): Promise<T> =>
    request<T>(base, token, method, route, body);
  return {
    mode: 'remote',
    location: base,
    whoami: () => call('GET', '/v1/whoami'),
    createToken: async (input) => call('POST', '/v1/tokens', input),
    listTokens: async ({ includeRevoked }) =>
      (await call<{ tokens: never }>('GET', `/v1/tokens?includeRevoked=${includeRevoked}`)).tokens,
    revokeToken: async (idOrName) =>
      (await call<{ token: never }>('DELETE', `/v1/tokens/${encodeURIComponent(idOrName)}`)).token,
    listAudit: async (filter: AuditFilter) =>
      (await call<{ events: never }>('GET', `/v1/audit${query(filter)}`)).events,
    verifyAudit: () => call('GET', '/v1/audit/verify'),
    catalog: {
      listServices: async () => (await call<{ services: never }>('GET', '/v1/services')).services,
      getService: async (name: string) =>
        (await call<{ service: never }>('GET', `/v1/services/${encodeURIComponent(name)}`)).service,
      listEnvironments: async (service?: string) =>
        (await call<{ environments: never }>('GET', `/v1/environments${query({ service })}`)).environments,
      listArtifacts: async (filter = {}) =>
        (await call<{ artifacts: never }>('GET', `/v1/artifacts${query(filter)}`)).artifacts,
      listRuns: async (filter = {}) => (await call<{ runs: never }>('GET', `/v1/runs${query(filter)}`)).runs,
      listDeployments: async (filter = {}) =>
        (await call<{ deployments: never }>('GET', `/v1/deployments${query(filter)}`)).deployments,
    },
    close: async () => {},
  };
}

function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FlowlineError('FLOWLINE_USAGE', `The server URL \`${raw}\` is not a URL.`, {
      hint: 'Give a full URL, e.g. --server http://127.0.0.1:7420 (or set FLOWLINE_URL).',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FlowlineError('FLOWLINE_USAGE', `The server URL must be http or https, not ${url.protocol}`, {
      hint: 'e.g. --server http://127.0.0.1:7420',
    });
  }
  return url.toString().replace(/\/+$/, '');
}

function query(params: object): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

async function request<T>(
  base: string,
  token: string | undefined,
  method: string,
  route: string,
  body: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(base + route, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new FlowlineError('FLOWLINE_SERVER_UNREACHABLE', `Cannot reach the Flowline server at ${base}.`, {
      hint: 'Check that `flowline serve` runs there and that --server / FLOWLINE_URL is right.',
      cause: error,
    });
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.ok && parsed !== undefined) return parsed as T;
  throw toFlowlineError(base, response.status, parsed);
}

function toFlowlineError(base: string, status: number, parsed: unknown): FlowlineError {
  const error = (
    parsed as { error?: { code?: unknown; message?: unknown; hint?: unknown; issues?: unknown } }
  )?.error;
  if (error !== undefined && typeof error.code === 'string' && isErrorCode(error.code)) {
    return new FlowlineError(error.code, String(error.message ?? ''), {
      ...(typeof error.hint === 'string' ? { hint: error.hint } : {}),
      ...(Array.isArray(error.issues) ? { issues: error.issues } : {}),
    });
  }
  return new FlowlineError(
    'FLOWLINE_SERVER_PROTOCOL',
    `The server at ${base} answered HTTP ${status} with a body that is not a Flowline API response.`,
    { hint: 'Is --server / FLOWLINE_URL pointing at a Flowline server (try /v1/health)?' },
  );
}
