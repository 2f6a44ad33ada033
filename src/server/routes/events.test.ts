import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlowline, type Flowline } from '../../app/flowline.js';
import { tempDir } from '../../artifacts/testing.js';
import { newId } from '../../core/ids.js';
import { loadSettings } from '../../core/settings.js';
import { buildServer } from '../app.js';
import { type Listening, listen } from '../listen.js';
import { LiveEventHub } from '../live-events.js';

// GET /v1/events over real HTTP on loopback, read as a browser's EventSource would read it.

let t: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let server: Listening;
let hub: LiveEventHub;
const secret = { read: '', staging: '', ci: '', doomed: '' };

beforeAll(async () => {
  t = await tempDir('flowline-events-');
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: t.dir }, t.dir));
  // Its own hub, checking credentials every 10 ms so a revoked token's stream ends promptly.
  hub = new LiveEventHub({ events: flowline.events, audit: flowline.audit }, { recheckMs: 10 });
  server = await listen(await buildServer({ ...flowline, liveEvents: hub }), { port: 0, host: '127.0.0.1' });
  const make = async (name: string, input: object) =>
    (await flowline.tokens.create({ name, role: 'read', ...input }, flowline.localActor)).secret;
  secret.read = await make('viewer', {});
  secret.staging = await make('staging-viewer', { environments: ['staging'] });
  secret.ci = await make('ci', { role: 'ci' });
  secret.doomed = await make('doomed', {});
});

afterAll(async () => {
  await server?.close();
  await flowline?.close();
  await t?.cleanup();
});

interface Frame {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** An open stream: `next` reads until a frame matches and returns the frames read on the way. */
async function open(headers: Record<string, string>) {
  const res = await fetch(`${server.url}/v1/events`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const blocks: string[] = [];
  const pull = async (): Promise<boolean> => {
    const { value, done } = await reader.read();
    if (done) return false;
    buffer += decoder.decode(value, { stream: true });
    for (let cut = buffer.indexOf('\n\n'); cut !== -1; cut = buffer.indexOf('\n\n')) {
      blocks.push(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
    }
    return true;
  };
  const block = async (): Promise<string | undefined> => {
    while (blocks.length === 0) if (!(await pull())) return undefined;
    return blocks.shift();
  };
  expect(await block()).toBe('retry: 2000');
  return {
    async next(match: (f: Frame) => boolean): Promise<Frame[]> {
      const seen: Frame[] = [];
      for (;;) {
        const text = await block();
        if (text === undefined) throw new Error(`stream ended; saw ${JSON.stringify(seen)}`);
        if (text.startsWith(':')) continue;
        const event = /^event: (.+)$/m.exec(text)?.[1] ?? '';
        const data = JSON.parse(/^data: (.+)$/m.exec(text)?.[1] ?? '{}') as Record<string, unknown>;
        seen.push({ event, data });
        if (match({ event, data })) return seen;
      }
    },
    /** Resolves when the server ends the stream. */
    async ended(): Promise<void> {
      while (await pull());
    },
    cancel: () => reader.cancel(),
  };
}

const bearer = (s: string) => ({ authorization: `Bearer ${s}` });

function announce(type: string, environment: string) {
  flowline.events.emit({
    type,
    at: new Date().toISOString(),
    service: 'shop',
    environment,
    subject: `dep_${environment}`,
    message: `${type} in ${environment}`,
  });
}

describe('GET /v1/events', () => {
  it("relays the bus, filtered by the token's environment scope", async () => {
    const all = await open(bearer(secret.read));
    const staging = await open(bearer(secret.staging));
    announce('deployment.started', 'production');
    announce('deployment.started', 'staging');
    const seenByStaging = await staging.next((f) => f.event === 'deployment.started');
    expect(seenByStaging.map((f) => f.data.environment)).toEqual(['staging']);
    const seenByAll = await all.next((f) => f.data.environment === 'staging');
    expect(seenByAll.filter((f) => f.event === 'deployment.started').map((f) => f.data.environment)).toEqual([
      'production',
      'staging',
    ]);
    expect(seenByAll[0]?.data).toEqual({
      type: 'deployment.started',
      at: expect.any(String),
      service: 'shop',
      environment: 'production',
      subject: 'dep_production',
      message: 'deployment.started in production',
    });
    await all.cancel();
    await staging.cancel();
  });

  it('tells of runs recorded through the API, their stages, the andon and audit appends', async () => {
    const stream = await open(bearer(secret.read));
    const id = newId('run');
    const post = (path: string, body: object, method = 'POST') =>
      fetch(server.url + path, {
        method,
        headers: { ...bearer(secret.ci), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const started = await post('/v1/runs', {
      id,
      service: 'shop',
      branch: 'main',
      commit: null,
      where: { host: 'ci-1' },
      startedAt: '2026-01-01T00:00:00.000Z',
      nodes: [{ name: 'unit', kind: 'stage' }],
      config:
        'version: 1\nservice: shop\nbuild: { command: make, inputs: ["src/**"], output: dist }\npipeline: { trunk: main }\n',
    });
    expect(started.status).toBe(201);
    expect((await stream.next((f) => f.event === 'run.started')).at(-1)?.data).toMatchObject({
      service: 'shop',
      subject: id,
      data: { service: 'shop', runId: id, status: 'running' },
    });
    await post(`/v1/runs/${id}/stages/unit`, { status: 'failed', exitCode: 1 }, 'PATCH');
    expect((await stream.next((f) => f.event === 'run.stage.updated')).at(-1)?.data).toMatchObject({
      data: { runId: id, stage: 'unit', status: 'failed' },
    });
    await post(`/v1/runs/${id}/finish`, {
      status: 'failed',
      finishedAt: '2026-01-01T00:01:00.000Z',
      artifact: null,
      only: null,
      optional: [],
    });
    // The failing trunk run pulls the cord as it is recorded, so the andon comes first.
    const rest = await stream.next((f) => f.event === 'run.finished');
    expect(rest.at(-1)?.data).toMatchObject({ data: { runId: id, status: 'failed' } });
    expect(rest.find((f) => f.event === 'andon.pulled')?.data).toMatchObject({
      service: 'shop',
      data: { state: 'red', cause: 'run', runId: id },
    });
    // The audit trail, read from the store: seq, action and target, never the details.
    const audit = await stream.next((f) => f.event === 'audit.appended' && f.data.action === 'andon.red');
    expect(Object.keys(audit.at(-1)?.data ?? {}).sort()).toEqual(['action', 'at', 'seq', 'target', 'type']);
    await stream.cancel();
  });

  it('tells of audit appends made by another process on the same store', async () => {
    const stream = await open(bearer(secret.read));
    const other = await createFlowline(loadSettings({ FLOWLINE_HOME: t.dir }, t.dir));
    await other.tokens.create({ name: 'made-elsewhere', role: 'read' }, other.localActor);
    await other.close();
    const seen = await stream.next(
      (f) => f.event === 'audit.appended' && f.data.target === 'token:made-elsewhere',
    );
    expect(seen.at(-1)?.data).toMatchObject({ action: 'token.create', seq: expect.any(Number) });
    await stream.cancel();
  });

  it('works with the dashboard session cookie', async () => {
    const signIn = await fetch(`${server.url}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: secret.staging }),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const stream = await open({ cookie });
    announce('release.weight.changed', 'production');
    announce('release.weight.changed', 'staging');
    const seen = await stream.next((f) => f.event === 'release.weight.changed');
    expect(seen.map((f) => f.data.environment)).toEqual(['staging']);
    await stream.cancel();
  });

  it('ends the stream of a token once it is revoked', async () => {
    const stream = await open(bearer(secret.doomed));
    await flowline.tokens.revoke('doomed', flowline.localActor);
    await stream.ended();
  });

  it('ends every stream cleanly when the server closes', async () => {
    const stream = await open(bearer(secret.read));
    expect(hub.size).toBeGreaterThan(0);
    await server.close();
    await stream.ended();
    expect(hub.size).toBe(0);
  });
});
