import { OpenFeature } from '@openfeature/server-sdk';
import { OpenFeature as WebOpenFeature } from '@openfeature/web-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowlineServerProvider } from '../src/server.js';
import { FlowlineWebProvider } from '../src/web.js';
import { type FlagActivity, type FlowlineBackend, flowlineBackend } from './flowline-backend.js';
import { checkoutFlags, fastOptions, recordingLogger } from './helpers.js';

type Counts = Record<string, Readonly<Record<string, number>>>;

/** Evaluations per flag and variant counted since `before`. */
function since(before: Record<string, FlagActivity>, after: Record<string, FlagActivity>): Counts {
  const out: Record<string, Record<string, number>> = {};
  for (const [flag, activity] of Object.entries(after)) {
    for (const [variant, count] of Object.entries(activity.evaluations)) {
      const delta = count - (before[flag]?.evaluations[variant] ?? 0);
      if (delta !== 0) out[flag] = { ...out[flag], [variant]: delta };
    }
  }
  return out;
}

/** Polls the server's counts until they differ from `before` by `expected` (no time limit but the test's). */
async function countsReach(backend: FlowlineBackend, before: Record<string, FlagActivity>, expected: Counts) {
  for (;;) {
    const counted = since(before, await backend.evaluationCounts());
    if (JSON.stringify(counted) === JSON.stringify(expected)) return counted;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let domains = 0;

describe('evaluation counts from providers evaluating locally, on the real Flowline server', () => {
  let backend: FlowlineBackend;

  beforeAll(async () => {
    backend = await flowlineBackend();
    await backend.setFlags(checkoutFlags());
  });

  afterAll(async () => {
    await OpenFeature.close();
    await WebOpenFeature.close();
    await backend?.close();
  });

  it('the Node provider sends its counts on close and the API shows them per flag and variant', async () => {
    const before = await backend.evaluationCounts();
    const domain = `counts-${++domains}`;
    const provider = new FlowlineServerProvider(fastOptions(backend, recordingLogger()));
    await OpenFeature.setProviderAndWait(domain, provider);
    const client = OpenFeature.getClient(domain);
    for (let i = 0; i < 3; i++)
      await client.getBooleanValue('new-checkout', false, { targetingKey: 'alice' });
    for (let i = 0; i < 2; i++) await client.getBooleanValue('new-checkout', false, { targetingKey: 'bob' });
    await client.getStringValue('button-colour', 'red', { targetingKey: 'bob', plan: 'team' });
    // Answers without a variant are not counted: unknown flag, wrong type.
    await client.getBooleanValue('no-such-flag', false);
    await client.getNumberValue('new-checkout', 0, { targetingKey: 'alice' });
    expect(since(before, await backend.evaluationCounts())).toEqual({}); // nothing sent per evaluation

    await provider.onClose(); // as the SDK does on shutdown: sends what was counted
    const after = await backend.evaluationCounts();
    expect(since(before, after)).toEqual({
      'new-checkout': { on: 3, off: 2 },
      'button-colour': { green: 1 },
    });
    expect(after['new-checkout']?.evaluatedAt).not.toBeNull();
  });

  it('sends every countsFlushIntervalMs while running, from the web provider too', async () => {
    const before = await backend.evaluationCounts();
    const domain = `counts-${++domains}`;
    const provider = new FlowlineWebProvider({
      ...fastOptions(backend, recordingLogger()),
      countsFlushIntervalMs: 20,
    });
    await WebOpenFeature.setContext(domain, { targetingKey: 'bob' });
    await WebOpenFeature.setProviderAndWait(domain, provider);
    const client = WebOpenFeature.getClient(domain);
    for (let i = 0; i < 4; i++) client.getNumberValue('max-items', 0);
    expect(await countsReach(backend, before, { 'max-items': { many: 4 } })).toEqual({
      'max-items': { many: 4 },
    });
    client.getNumberValue('max-items', 0);
    await countsReach(backend, before, { 'max-items': { many: 5 } });
    await provider.onClose();
  });

  it('sends the counts with keepalive when the page is hidden (a closing tab), not only on the interval', async () => {
    // The slice of the DOM the provider uses: an EventTarget with a visibility state.
    const page = Object.assign(new EventTarget(), { visibilityState: 'visible' });
    (globalThis as { document?: unknown }).document = page;
    const keepalive: boolean[] = [];
    const fetchSpy: typeof fetch = (input, init) => {
      if (String(input).endsWith('/evaluations')) keepalive.push(init?.keepalive === true);
      return fetch(input, init);
    };
    try {
      const before = await backend.evaluationCounts();
      const domain = `counts-${++domains}`;
      const provider = new FlowlineWebProvider({
        ...fastOptions(backend, recordingLogger()),
        fetch: fetchSpy,
        countsFlushIntervalMs: 3_600_000,
      });
      await WebOpenFeature.setContext(domain, { targetingKey: 'bob' });
      await WebOpenFeature.setProviderAndWait(domain, provider);
      const client = WebOpenFeature.getClient(domain);
      for (let i = 0; i < 3; i++) client.getNumberValue('max-items', 0);
      page.dispatchEvent(new Event('visibilitychange')); // still visible: nothing is sent
      page.visibilityState = 'hidden';
      page.dispatchEvent(new Event('visibilitychange'));
      expect(await countsReach(backend, before, { 'max-items': { many: 3 } })).toEqual({
        'max-items': { many: 3 },
      });
      expect(keepalive).toEqual([true]);
      await WebOpenFeature.clearProviders();
    } finally {
      delete (globalThis as { document?: unknown }).document;
    }
  });

  it('keeps the counts while the server is away and delivers them, once, when it is back', async () => {
    const before = await backend.evaluationCounts();
    const domain = `counts-${++domains}`;
    const provider = new FlowlineServerProvider({
      ...fastOptions(backend, recordingLogger()),
      countsFlushIntervalMs: 20,
    });
    await OpenFeature.setProviderAndWait(domain, provider);
    const client = OpenFeature.getClient(domain);
    await backend.stop();
    for (let i = 0; i < 7; i++)
      await client.getBooleanValue('new-checkout', false, { targetingKey: 'alice' });
    await backend.restart();
    expect(await countsReach(backend, before, { 'new-checkout': { on: 7 } })).toEqual({
      'new-checkout': { on: 7 },
    });
    await provider.onClose();
    expect(since(before, await backend.evaluationCounts())).toEqual({ 'new-checkout': { on: 7 } });
  });
});

describe('POST /v1/flags/{service}/{environment}/evaluations on the real server', () => {
  let backend: FlowlineBackend;
  const post = (token: string, body: unknown) =>
    fetch(`${backend.url}/v1/flags/shop/production/evaluations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    backend = await flowlineBackend();
    await backend.setFlags(checkoutFlags());
  });

  afterAll(async () => {
    await backend?.close();
  });

  it('refuses a client token of another environment and counts nothing', async () => {
    const before = await backend.evaluationCounts();
    const response = await post(backend.otherEnvironmentToken, {
      evaluations: [{ flag: 'new-checkout', variant: 'on', count: 5 }],
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FLOWLINE_FORBIDDEN');
    expect(since(before, await backend.evaluationCounts())).toEqual({});
  });

  it('counts flags and variants of the current set only, and says how many it ignored', async () => {
    const before = await backend.evaluationCounts();
    const response = await post(backend.token, {
      evaluations: [
        { flag: 'new-checkout', variant: 'on', count: 5 },
        { flag: 'new-checkout', variant: 'maybe', count: 2 },
        { flag: 'made-up', variant: 'on', count: 3 },
      ],
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ counted: 5, ignored: 5 });
    expect(since(before, await backend.evaluationCounts())).toEqual({ 'new-checkout': { on: 5 } });
  });

  it('validates the body: unknown fields, counts below 1 and too many entries are refused', async () => {
    for (const body of [
      { evaluations: [{ flag: 'new-checkout', variant: 'on', count: 0 }] },
      { evaluations: [{ flag: 'new-checkout', variant: 'on', count: 1, extra: true }] },
      { evaluations: [{ flag: 'new-checkout', variant: 'on', count: 1.5 }] },
      {
        evaluations: Array.from({ length: 1001 }, () => ({ flag: 'new-checkout', variant: 'on', count: 1 })),
      },
      { counts: {} },
    ]) {
      const response = await post(backend.token, body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'FLOWLINE_REQUEST_INVALID',
      );
    }
  });
});
