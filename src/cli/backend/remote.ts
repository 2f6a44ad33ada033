import { MAX_HEADS_PER_REQUEST } from '../../audit/index.js';
import type { AuditFilter, AuditHead, VerifyResult } from '../../audit/types.js';
import { FlowlineError } from '../../core/errors.js';
import { historyCalls } from './history.js';
import { getUnlessMatch, type HttpTarget, query, request, requestStream } from './http.js';
import { incidentCalls } from './incidents.js';
import { metricsCalls } from './metrics.js';
import { qualityCalls } from './quality.js';
import type { Backend, FlagClient, PipelineClient, PolicyClient, SecretClient } from './types.js';

/** The server to call and the token to call it with. */
export function remoteTarget(serverUrl: string, token: string | undefined): HttpTarget {
  return { base: normaliseBaseUrl(serverUrl), token };
}

/** Talks to a Flowline server; every error comes back as the server's FlowlineError. */
export function openRemoteBackend(serverUrl: string, token: string | undefined): Backend {
  const target = remoteTarget(serverUrl, token);
  const { base } = target;
  const call = async <T>(method: string, route: string, body?: unknown): Promise<T> =>
    request<T>(target, method, route, body);
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
    verifyAudit: (anchors) => verifyRemote(target, anchors),
    auditHead: () => call('GET', '/v1/audit/head'),
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
    ...deployCalls(target),
    flags: flagCalls(target),
    pipeline: pipelineCalls(target),
    incidents: incidentCalls(target),
    metrics: metricsCalls(target),
    history: historyCalls(target),
    quality: qualityCalls(target),
    policies: policyCalls(target),
    secrets: secretCalls(target),
    close: async () => {},
  };
}

/**
 * `GET /v1/audit/verify`, with the saved heads in its query: in groups of
 * MAX_HEADS_PER_REQUEST (each group walks the chain once), stopping at the first failure.
 */
async function verifyRemote(target: HttpTarget, anchors: readonly AuditHead[]): Promise<VerifyResult> {
  const route = (heads: readonly AuditHead[]) =>
    `/v1/audit/verify${heads.length === 0 ? '' : '?'}${heads.map((h) => `head=${h.seq}:${h.hash}`).join('&')}`;
  let result = await request<VerifyResult>(target, 'GET', route(anchors.slice(0, MAX_HEADS_PER_REQUEST)));
  let anchored = result.ok ? result.anchored : 0;
  for (let at = MAX_HEADS_PER_REQUEST; result.ok && at < anchors.length; at += MAX_HEADS_PER_REQUEST) {
    result = await request<VerifyResult>(target, 'GET', route(anchors.slice(at, at + MAX_HEADS_PER_REQUEST)));
    if (result.ok) anchored += result.anchored;
  }
  return result.ok ? { ...result, anchored } : result;
}

/** Deploy operations: the same for a remote server and for the local daemon. */
export function deployCalls(
  target: HttpTarget,
): Pick<
  Backend,
  | 'deploy'
  | 'rollback'
  | 'releaseStatus'
  | 'releaseControl'
  | 'createEnvironment'
  | 'deleteEnvironment'
  | 'environmentStatus'
> {
  const release = (service: string, environment: string) =>
    `/v1/releases/${encodeURIComponent(service)}/${encodeURIComponent(environment)}`;
  return {
    deploy: (input, onProgress) =>
      requestStream(target, '/v1/deploy', input, onProgress, {
        what: `the deploy to ${input.environment}`,
        hint: releaseCarriesOn('The deploy', input.environment),
      }),
    rollback: (input, onProgress) =>
      requestStream(target, '/v1/rollback', input, onProgress, {
        what: `the rollback of ${input.environment}`,
        hint: releaseCarriesOn('The rollback', input.environment),
      }),
    releaseStatus: (service, environment, lines) =>
      request(target, 'GET', `${release(service, environment)}?lines=${lines}`),
    releaseControl: (service, environment, action, full) =>
      request(target, 'POST', `${release(service, environment)}/${action}`, { full }),
    createEnvironment: (input, onProgress) =>
      requestStream(target, '/v1/environments', input, onProgress, {
        what:
          input.pullRequest === undefined
            ? `the preview of branch ${input.branch ?? '?'}`
            : `the preview pr-${input.pullRequest}`,
        hint: mayHaveFinished('`flowline env list` and `flowline deployments`'),
      }),
    deleteEnvironment: ({ service, name, force, purgeData }, onProgress) =>
      requestStream(
        target,
        `/v1/environments/${encodeURIComponent(service)}/${encodeURIComponent(name)}?force=${force}${purgeData === true ? '&purgeData=true' : ''}`,
        undefined,
        onProgress,
        { what: `the deletion of ${name}`, hint: mayHaveFinished('`flowline env list`'), method: 'DELETE' },
      ),
    environmentStatus: (service) => request(target, 'GET', `/v1/environments/status${query({ service })}`),
  };
}

/**
 * A deploy or rollback whose stream was cut goes on: the server carries on without the client,
 * and one that restarted resumes it or ends it safely (deploy/recovery.ts). Say so, and how to
 * follow it again.
 */
function releaseCarriesOn(what: string, environment: string): string {
  return (
    `${what} carries on without this client: a Flowline server that restarts resumes it, or fails it safely with traffic on the stable revision. ` +
    `Follow it again with \`flowline release status ${environment} -w\`; \`flowline deployments --env ${environment}\` shows how it ended.`
  );
}

/** A preview's creation or deletion whose stream was cut: where to look. */
function mayHaveFinished(check: string): string {
  return `It may have finished, failed or still be running: check with ${check}.`;
}

/** Asks a server for at least a version of a flag set (server/routes/flags-delivery.ts). */
const MIN_VERSION_HEADER = 'x-flowline-min-version';

/** The `/v1/flags` routes; writes send `If-Match` when given an ETag. */
export function flagCalls(target: HttpTarget): FlagClient {
  const set = (service: string, environment: string) =>
    `/v1/flags/${encodeURIComponent(service)}/${encodeURIComponent(environment)}`;
  return {
    get: (service, environment) => request(target, 'GET', set(service, environment)),
    overview: (service) => request(target, 'GET', `/v1/flags/${encodeURIComponent(service)}`),
    history: async (service, environment, limit) =>
      (
        await request<{ history: never }>(
          target,
          'GET',
          `${set(service, environment)}/history?limit=${limit}`,
        )
      ).history,
    replace: (service, environment, definition, ifMatch) =>
      request(
        target,
        'PUT',
        set(service, environment),
        definition,
        ifMatch === undefined ? {} : { 'if-match': ifMatch },
      ),
    setFlag: (service, environment, flag, definition) =>
      request(target, 'POST', `${set(service, environment)}/${encodeURIComponent(flag)}`, definition),
    act: (service, environment, flag, action, variant) =>
      request(
        target,
        'POST',
        `${set(service, environment)}/${encodeURIComponent(flag)}/${action}`,
        variant === undefined ? undefined : { variant },
      ),
    // A 304 to the written ETag is the cheap answer: the server holds exactly that version.
    servedVersion: async (written) =>
      (
        await getUnlessMatch<{ version: number }>(
          target,
          set(written.service, written.environment),
          written.etag,
          {
            [MIN_VERSION_HEADER]: String(written.version),
          },
        )
      )?.version ?? written.version,
    listTriggers: async (service, environment) =>
      (await request<{ triggers: never }>(target, 'GET', `${set(service, environment)}/triggers`)).triggers,
    addTrigger: ({ service, environment, ...rest }) =>
      request(target, 'POST', `${set(service, environment)}/triggers`, rest),
    removeTrigger: async (service, environment, name) =>
      (
        await request<{ trigger: never }>(
          target,
          'DELETE',
          `${set(service, environment)}/triggers/${encodeURIComponent(name)}`,
        )
      ).trigger,
  };
}

/** The `/v1/policies` routes. */
function policyCalls(target: HttpTarget): PolicyClient {
  const route = (service: string) => `/v1/policies/${encodeURIComponent(service)}`;
  return {
    get: async (service) => (await request<{ policy: never }>(target, 'GET', route(service))).policy,
    plan: (service, policy) => request(target, 'POST', `${route(service)}/plan`, { policy }),
    apply: (service, policy, expectVersion) =>
      request(target, 'PUT', route(service), {
        policy,
        ...(expectVersion === undefined ? {} : { expectVersion }),
      }),
  };
}

/** The `/v1/secrets` routes; the value travels only in the body of a PUT. */
function secretCalls(target: HttpTarget): SecretClient {
  const set = (service: string, environment: string) =>
    `/v1/secrets/${encodeURIComponent(service)}/${encodeURIComponent(environment)}`;
  return {
    set: async (service, environment, name, value) =>
      (
        await request<{ secret: never }>(
          target,
          'PUT',
          `${set(service, environment)}/${encodeURIComponent(name)}`,
          { value },
        )
      ).secret,
    list: async (service, environment) =>
      (await request<{ secrets: never }>(target, 'GET', set(service, environment))).secrets,
    remove: async (service, environment, name) =>
      (
        await request<{ secret: never }>(
          target,
          'DELETE',
          `${set(service, environment)}/${encodeURIComponent(name)}`,
        )
      ).secret,
  };
}

/** Runs, logs, andon and artifact checks over `/v1/runs`, `/v1/andon`, `/v1/artifacts`. */
export function pipelineCalls(target: HttpTarget): PipelineClient {
  const enc = encodeURIComponent;
  return {
    run: (runId) => request(target, 'GET', `/v1/runs/${enc(runId)}`),
    readLog: (runId, stage, offset) =>
      request(target, 'GET', `/v1/runs/${enc(runId)}/stages/${enc(stage)}/log?offset=${offset}`),
    andon: async (service) =>
      (await request<{ andon: never }>(target, 'GET', `/v1/andon${query({ service })}`)).andon,
    pullAndon: async (service, reason) => {
      const { andon, changed } = await request<{ andon: never; changed: boolean }>(
        target,
        'POST',
        `/v1/andon/${enc(service)}/pull`,
        { reason },
      );
      return { status: andon, changed };
    },
    releaseAndon: async (service, reason) => {
      const { andon, changed } = await request<{ andon: never; changed: boolean }>(
        target,
        'POST',
        `/v1/andon/${enc(service)}/release`,
        { reason },
      );
      return { status: andon, changed };
    },
    verifyArtifact: async (digest) =>
      (await request<{ artifact: never }>(target, 'POST', `/v1/artifacts/${enc(digest)}/verify`)).artifact,
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
