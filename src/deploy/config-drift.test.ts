import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEALED_CONFIG } from '../artifacts/index.js';
import type { Run } from '../catalog/index.js';
import type { ServicePolicy } from '../policy/index.js';
import { configDriftFinder } from './config-drift.js';

const CONFIG = (instances: number, strategy: string) => `version: 1
service: shop
build: { command: make, inputs: ["src/**"], output: dist }
pipeline: { trunk: main }
run: { command: node server.js, port: { env: PORT }, instances: ${instances} }
environments:
  staging: {}
  production:
    strategy: ${strategy}
`;

let root: string;
const folders = new Map<string, string>();

/** An artifact folder holding `text` as its sealed flowline.yaml, as the artifact store keeps it. */
async function artifact(digest: string, text: string): Promise<void> {
  const dir = path.join(root, digest);
  await mkdir(path.dirname(path.join(dir, SEALED_CONFIG)), { recursive: true });
  await writeFile(path.join(dir, SEALED_CONFIG), text);
  folders.set(digest, dir);
}

const run = (id: string, branch: string, status: string, artifactId: string): Run =>
  ({ id, service: 'shop', branch, status, artifactId, commitSha: `${id}0000000` }) as unknown as Run;

function finder(runs: Run[]) {
  return configDriftFinder({
    catalog: { listRuns: async () => runs },
    policies: { get: async () => ({ trunk: 'main' }) as unknown as ServicePolicy },
    artifactPath: async (digest) => folders.get(digest),
  });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'flowline-config-drift-'));
  await artifact('sha256:old', CONFIG(2, '{ blueGreen: {} }'));
  await artifact('sha256:new', CONFIG(3, '{ canary: { steps: [{ setWeight: 10 }] } }'));
  await artifact('sha256:same', CONFIG(2, '{ blueGreen: {} }'));
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe('drift from what the repo says', () => {
  it('names the parts of the sealed config that differ from the newest trunk build', async () => {
    const drift = finder([
      run('r3', 'feature', 'succeeded', 'sha256:other'),
      run('r2', 'main', 'succeeded', 'sha256:new'),
      run('r1', 'main', 'succeeded', 'sha256:old'),
    ]);
    expect(await drift('shop', 'production', 'sha256:old')).toBe(
      'flowline.yaml on main (r200000) differs: run, environments.production',
    );
    // staging's section as written is the same, but it resolves to run's new instance count.
    expect(await drift('shop', 'staging', 'sha256:old')).toBe(
      'flowline.yaml on main (r200000) differs: run, environments.staging',
    );
  });

  it('says nothing when the live artifact is the trunk build, or its config says the same', async () => {
    const drift = finder([
      run('r2', 'main', 'succeeded', 'sha256:same'),
      run('r1', 'main', 'failed', 'sha256:new'),
    ]);
    expect(await drift('shop', 'production', 'sha256:same')).toBeUndefined();
    expect(await drift('shop', 'production', 'sha256:old')).toBeUndefined();
  });

  it('says nothing it cannot know: no succeeded trunk build, or an artifact not stored here', async () => {
    expect(
      await finder([run('r1', 'main', 'failed', 'sha256:new')])('shop', 'production', 'sha256:old'),
    ).toBeUndefined();
    expect(
      await finder([run('r2', 'main', 'succeeded', 'sha256:new')])('shop', 'production', 'sha256:gone'),
    ).toBeUndefined();
  });
});
