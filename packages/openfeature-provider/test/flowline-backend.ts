import { get } from 'node:http';
import { createFlowline, type Flowline } from '../../../src/app/flowline.js';
import { loadSettings } from '../../../src/core/settings.js';
import type { FlagSetDefinition } from '../../../src/flags/index.js';
import { buildServer, type Listening, listen } from '../../../src/server/index.js';
import { tempDir } from '../../../test/e2e/helpers.js';
import type { FlagBackend } from './helpers.js';

/** What the API says about one flag's evaluations (`GET /v1/flags/{service}`). */
export interface FlagActivity {
  readonly evaluatedAt: string | null;
  readonly evaluations: Readonly<Record<string, number>>;
}

/** The real server as a FlagBackend, plus what it counted. */
export interface FlowlineBackend extends FlagBackend {
  /** Flushes the server's counters, then reads the flags of shop/production through the API. */
  evaluationCounts(): Promise<Record<string, FlagActivity>>;
}

const HOST = '127.0.0.1';

/**
 * The real Flowline server, in process: its API on a real port, client tokens scoped to one
 * environment, and flag changes made as an operator would — through the API while it listens,
 * through the flag service (the CLI's embedded path) while it is down.
 */
export async function flowlineBackend(): Promise<FlowlineBackend> {
  const dir = await tempDir('flowline-openfeature-');
  const flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: dir.path }, dir.path));
  let api: Listening | undefined = await serveApi(flowline, 0);
  const port = api.port;
  const create = async (name: string, role: 'client' | 'read' | 'deploy', environments?: string[]) =>
    (
      await flowline.tokens.create(
        { name, role, ...(environments ? { environments } : {}) },
        flowline.localActor,
      )
    ).secret;
  const deployer = await create('ci', 'deploy');
  const reader = await create('dashboard', 'read');
  const token = await create('web-production', 'client', ['production']);
  const otherEnvironmentToken = await create('web-staging', 'client', ['staging']);
  const url = api.url;
  return {
    url,
    service: 'shop',
    environment: 'production',
    token,
    otherEnvironmentToken,
    async setFlags(definition: FlagSetDefinition) {
      if (api === undefined) {
        await flowline.flags.replace('shop', 'production', definition, {
          actor: flowline.localActor,
          where: flowline.where,
        });
        return;
      }
      const response = await fetch(`${url}/v1/flags/shop/production`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${deployer}`, 'content-type': 'application/json' },
        body: JSON.stringify(definition),
      });
      if (!response.ok) throw new Error(`PUT flags: HTTP ${response.status} ${await response.text()}`);
    },
    async evaluationCounts() {
      await flowline.flags.flushCounts(); // what the server does every 5 s
      const overview = (await getJson(`${url}/v1/flags/shop`, reader)) as {
        environments: { environment: string; flags: Record<string, FlagActivity> }[];
      };
      return overview.environments.find((env) => env.environment === 'production')?.flags ?? {};
    },
    async stop() {
      await api?.close();
      api = undefined;
    },
    async restart() {
      api = await serveApi(flowline, port);
    },
    async close() {
      await api?.close();
      await flowline.close();
      await dir.dispose();
    },
  };
}

/**
 * Starts the API as `startApi` does, but `close` cuts every connection as a crash would. A
 * graceful close waits for idle keep-alive connections, and Node's fetch opens one after a stream
 * is aborted: waiting for it would only slow the tests down.
 */
async function serveApi(flowline: Flowline, port: number): Promise<Listening> {
  const app = await buildServer(flowline);
  const listening = await listen(app, { port, host: HOST });
  flowline.flags.start();
  return {
    ...listening,
    async close() {
      const closed = app.close();
      app.server.closeAllConnections();
      await closed;
    },
  };
}

/** GET on a connection of its own: a pooled one may still point at a server stopped by the test. */
function getJson(url: string, token: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, headers: { authorization: `Bearer ${token}` } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode === 200) resolve(JSON.parse(text));
        else reject(new Error(`GET ${url}: HTTP ${response.statusCode} ${text}`));
      });
    });
    request.on('error', reject);
  });
}
