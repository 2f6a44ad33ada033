import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../src/app/api.js';
import { createFlowline, type Flowline } from '../../src/app/flowline.js';
import type { Role } from '../../src/auth/index.js';
import { loadSettings } from '../../src/core/settings.js';
import type { Listening } from '../../src/server/index.js';
import { tempDir } from '../e2e/helpers.js';

// Imported history changes everyone's metrics: only an admin of every environment may send it (a
// token scoped to staging reaches neither production nor staging through a file), and bodies are
// bounded.

let dir: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let api: Listening;
const tokens: Record<string, string> = {};

const SHA = 'b'.repeat(40);
const csv = (...environments: string[]) =>
  `id,service,environment,commitSha,startedAt,finishedAt,outcome\n${environments
    .map(
      (e, i) =>
        `${e}-${i},shop,${e},${SHA},2026-01-0${i + 1}T10:00:00Z,2026-01-0${i + 1}T10:05:00Z,succeeded`,
    )
    .join('\n')}\n`;

beforeAll(async () => {
  dir = await tempDir('flowline-history-scope-');
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: dir.path }, dir.path));
  api = await startApi(flowline, { port: 0, host: '127.0.0.1' });
  const make = async (name: string, role: Role, environments?: string[]) => {
    tokens[name] = (
      await flowline.tokens.create(
        { name, role, ...(environments === undefined ? {} : { environments }) },
        flowline.localActor,
      )
    ).secret;
  };
  for (const role of ['read', 'ci', 'deploy', 'admin'] as const) await make(role, role);
  await make('staging-admin', 'admin', ['staging']);
  await flowline.catalog.ensureService('shop');
  await flowline.catalog.ensureEnvironment('shop', 'staging', 'persistent');
  await flowline.catalog.ensureEnvironment('shop', 'production', 'persistent');
});

afterAll(async () => {
  await api.close();
  await flowline.close();
  await dir.dispose();
});

async function post(token: string, route: string, body: unknown) {
  const res = await fetch(api.url + route, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string }; result?: unknown } };
}

const imported = async () =>
  Number(
    (
      await flowline.store.db
        .selectFrom('deployments')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('imported', '=', 1)
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('importing history over the API', () => {
  it('refuses read, ci and deploy tokens, whatever the file', async () => {
    for (const role of ['read', 'ci', 'deploy']) {
      for (const kind of ['deployments', 'incidents']) {
        const res = await post(tokens[role] ?? '', `/v1/history/${kind}`, {
          file: 'x.csv',
          content: csv('staging'),
        });
        expect([role, kind, res.status, res.body.error?.code]).toEqual([
          role,
          kind,
          403,
          'FLOWLINE_FORBIDDEN',
        ]);
      }
      const commits = await post(tokens[role] ?? '', '/v1/history/commits', {
        service: 'shop',
        commits: [],
        last: true,
      });
      expect([role, commits.status]).toEqual([role, 403]);
    }
    expect(await imported()).toBe(0);
  });

  it('refuses an admin scoped to staging, for production and for staging alike, and commits too', async () => {
    // History is about the whole service (its metrics, its commit ranges): only an admin of every
    // environment imports it, so a scoped token cannot reach another environment through a file.
    for (const content of [csv('production'), csv('staging', 'production'), csv('staging')]) {
      const res = await post(tokens['staging-admin'] ?? '', '/v1/history/deployments', {
        file: 'x.csv',
        content,
      });
      expect([res.status, res.body.error?.code]).toEqual([403, 'FLOWLINE_FORBIDDEN']);
    }
    const commits = await post(tokens['staging-admin'] ?? '', '/v1/history/commits', {
      service: 'shop',
      commits: [],
      last: true,
    });
    expect([commits.status, commits.body.error?.code]).toEqual([403, 'FLOWLINE_FORBIDDEN']);
    expect(await imported()).toBe(0);
    const own = await post(tokens.admin ?? '', '/v1/history/deployments', {
      file: 'both.csv',
      content: csv('staging', 'production'),
    });
    expect([own.status, own.body.result]).toEqual([
      200,
      {
        kind: 'deployments',
        file: 'both.csv',
        rows: 2,
        imported: 2,
        skipped: 0,
        ranges: { complete: 0, partial: 0, none: 2 },
      },
    ]);
    const admin = await post(tokens.admin ?? '', '/v1/history/commits', {
      service: 'shop',
      commits: [],
      last: true,
    });
    expect([admin.status, admin.body.result]).toEqual([
      200,
      {
        kind: 'commits',
        file: 'shop',
        rows: 0,
        imported: 0,
        skipped: 0,
        ranges: { complete: 0, partial: 0, none: 2 },
      },
    ]);
  });

  it('refuses a body over the limit before reading it whole, and an unknown field', async () => {
    const huge = JSON.stringify({ file: 'big.csv', content: 'x'.repeat(33 * 1024 * 1024) });
    const res = await post(tokens.admin ?? '', '/v1/history/deployments', huge);
    expect([res.status, res.body.error?.code]).toEqual([413, 'FLOWLINE_REQUEST_TOO_LARGE']);
    const extra = await post(tokens.admin ?? '', '/v1/history/deployments', {
      file: 'x.csv',
      content: csv('staging'),
      actor: 'someone-else',
    });
    expect([extra.status, extra.body.error?.code]).toEqual([400, 'FLOWLINE_REQUEST_INVALID']);
  });
});
