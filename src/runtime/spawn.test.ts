import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';
import { instanceEnv, NONCE_ENV } from './spawn.js';
import type { RevisionSpec } from './types.js';

const spec: RevisionSpec = {
  service: 'hello',
  environment: 'staging',
  revision: '3f2a',
  workdir: '/artifacts/sha256-3f2a',
  command: 'node server.js',
  portEnv: 'HTTP_PORT',
  instances: 1,
  env: { LOG_LEVEL: 'info', PATH: '/opt/app/bin:/usr/bin' },
  secrets: { API_TOKEN: 't0ken' },
  artifact: 'sha256:3f2a',
  health: {
    path: '/healthz',
    interval: 1000,
    timeout: 500,
    startPeriod: 10_000,
    successThreshold: 1,
    failureThreshold: 3,
  },
  shutdown: { signal: 'SIGTERM', gracePeriod: 10_000 },
  logDir: '/logs',
};

describe("an instance's environment", () => {
  it('holds only PATH and LANG of Flowline’s own, its own folders as HOME and TMPDIR, then the declared env, secrets and Flowline’s variables', () => {
    const env = instanceEnv(
      spec,
      {
        id: 'hello-staging-3f2a-1',
        nonce: 'n0nce',
        port: 4100,
        home: '/work/hello-staging-3f2a-1',
        scratch: '/work/scratch/hello-staging-3f2a-1',
        data: '/work/data/hello/staging',
      },
      {
        HOME: '/home/flowline',
        LANG: 'C.UTF-8',
        PATH: '/usr/bin',
        FLOWLINE_TOKEN: 'admin-token',
        AWS_SECRET: 'x',
      },
    );
    expect(env).toEqual({
      PATH: '/opt/app/bin:/usr/bin',
      HOME: '/work/hello-staging-3f2a-1',
      TMPDIR: '/work/scratch/hello-staging-3f2a-1',
      LANG: 'C.UTF-8',
      LOG_LEVEL: 'info',
      API_TOKEN: 't0ken',
      HTTP_PORT: '4100',
      FLOWLINE_INSTANCE: 'hello-staging-3f2a-1',
      FLOWLINE_REVISION: '3f2a',
      FLOWLINE_SERVICE: 'hello',
      FLOWLINE_ENVIRONMENT: 'staging',
      FLOWLINE_DATA_DIR: '/work/data/hello/staging',
      FLOWLINE_ARTIFACT: 'sha256:3f2a',
      [NONCE_ENV]: 'n0nce',
    });
  });

  it('gets a default PATH when Flowline has none, and no artifact variable without an artifact', () => {
    const { artifact: _, ...bare } = spec;
    const env = instanceEnv(
      { ...bare, env: {} },
      { id: 'i', nonce: 'n', port: 1, home: '/work/i', scratch: '/s', data: '/d' },
      {},
    );
    expect(env.PATH).toBe('/usr/local/bin:/usr/bin:/bin');
    expect(env).not.toHaveProperty('FLOWLINE_ARTIFACT');
  });

  it('lets the declared env move TMPDIR, as it may HOME, but not FLOWLINE_DATA_DIR', () => {
    const env = instanceEnv(
      { ...spec, env: { TMPDIR: '/var/tmp', FLOWLINE_DATA_DIR: '/elsewhere' } },
      { id: 'i', nonce: 'n', port: 1, home: '/work/i', scratch: '/work/scratch/i', data: '/work/data/a/b' },
      {},
    );
    expect([env.TMPDIR, env.FLOWLINE_DATA_DIR]).toEqual(['/var/tmp', '/work/data/a/b']);
  });
});

describe('restart backoff', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const options = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };
    expect([1, 2, 3, 4, 7, 8, 20].map((n) => backoffDelay(n, options))).toEqual([
      500, 1000, 2000, 4000, 30_000, 30_000, 30_000,
    ]);
  });
});
