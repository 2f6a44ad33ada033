import { startApi } from '../../../src/app/api.js';
import { createFlowline } from '../../../src/app/flowline.js';
import { loadSettings } from '../../../src/core/settings.js';
import type { FlagSetDefinition } from '../../../src/flags/index.js';
import type { Listening } from '../../../src/server/index.js';
import { tempDir } from '../../../test/e2e/helpers.js';
import type { FlagBackend } from './helpers.js';
import { serverProviderContract } from './server-contract.js';
import { webProviderContract } from './web-contract.js';

const HOST = '127.0.0.1';

/**
 * The real Flowline server, in process: its API on a real port, client tokens scoped to one
 * environment, and flag changes made as an operator would — through the API while it listens,
 * through the flag service (the CLI's embedded path) while it is down.
 */
async function flowlineBackend(): Promise<FlagBackend> {
  const dir = await tempDir('flowline-openfeature-');
  const flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: dir.path }, dir.path));
  let api: Listening | undefined = await startApi(flowline, { port: 0, host: HOST });
  const port = api.port;
  const create = async (name: string, role: 'client' | 'deploy', environments?: string[]) =>
    (
      await flowline.tokens.create(
        { name, role, ...(environments ? { environments } : {}) },
        flowline.localActor,
      )
    ).secret;
  const deployer = await create('ci', 'deploy');
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
    async stop() {
      await api?.close();
      api = undefined;
    },
    async restart() {
      api = await startApi(flowline, { port, host: HOST });
    },
    async close() {
      await api?.close();
      await flowline.close();
      await dir.dispose();
    },
  };
}

serverProviderContract('the real Flowline server', flowlineBackend);
webProviderContract('the real Flowline server', flowlineBackend);
