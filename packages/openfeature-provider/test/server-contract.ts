import { ErrorCode, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowlineServerProvider } from '../src/server.js';
import {
  checkoutFlags,
  type FlagBackend,
  fastOptions,
  recordEvents,
  recordingFetch,
  recordingLogger,
  until,
} from './helpers.js';

const EVENTS = [
  ProviderEvents.Ready,
  ProviderEvents.Error,
  ProviderEvents.Stale,
  ProviderEvents.ConfigurationChanged,
] as const;

let domains = 0;

/** Sets a provider on a fresh OpenFeature domain and returns the provider, its client and its events. */
async function connect(backend: FlagBackend, overrides: { token?: string; initTimeoutMs?: number } = {}) {
  const logger = recordingLogger();
  const requests = recordingFetch();
  const provider = new FlowlineServerProvider({
    ...fastOptions(backend, logger),
    fetch: requests.fetch,
    ...overrides,
  });
  const domain = `server-${++domains}`;
  const client = OpenFeature.getClient(domain);
  const events = recordEvents(client, EVENTS);
  const ready = OpenFeature.setProviderAndWait(domain, provider).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  return { provider, client, events, logger, ready, domain, requests };
}

/**
 * What the Node provider must do against any server keeping Flowline's flag delivery contract:
 * run against the contract-shaped fake and against the real Flowline server.
 */
export function serverProviderContract(name: string, createBackend: () => Promise<FlagBackend>): void {
  describe(`the Node provider against ${name}`, () => {
    let backend: FlagBackend;

    beforeAll(async () => {
      backend = await createBackend();
      await backend.setFlags(checkoutFlags());
    });

    afterAll(async () => {
      await OpenFeature.close();
      await backend?.close();
    });

    it('answers every flag type through an OpenFeature client once setProviderAndWait resolves', async () => {
      const { client, ready, events } = await connect(backend);
      expect(await ready).toBeUndefined();
      expect(client.providerStatus).toBe(ProviderStatus.READY);
      expect(events.count(ProviderEvents.Ready)).toBe(1);

      const staff = await client.getBooleanDetails('new-checkout', false, { targetingKey: 'alice' });
      expect(staff).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH' });
      expect(staff.flagMetadata).toMatchObject({ rule: 'staff first', owner: 'payments' });
      expect(await client.getBooleanValue('new-checkout', true, { targetingKey: 'bob' })).toBe(false);
      expect(await client.getStringValue('button-colour', 'red', { targetingKey: 'bob', plan: 'pro' })).toBe(
        'green',
      );
      expect(await client.getNumberDetails('max-items', 0)).toMatchObject({ value: 50, reason: 'STATIC' });
      const ranking = await client.getObjectDetails('search-ranking', {}, { targetingKey: 'user-7' });
      expect(ranking.reason).toBe('SPLIT');
      expect(['classic', 'neural']).toContain(ranking.variant);
      expect(ranking.value).toEqual(
        checkoutFlags().flags['search-ranking']?.variants[ranking.variant as string],
      );
    });

    it('answers a wrongly typed or unknown flag with the default value and the error code', async () => {
      const { client, ready } = await connect(backend);
      await ready;
      const mismatch = await client.getStringDetails('new-checkout', 'fallback', { targetingKey: 'alice' });
      expect(mismatch).toMatchObject({
        value: 'fallback',
        reason: 'ERROR',
        errorCode: ErrorCode.TYPE_MISMATCH,
      });
      expect(mismatch.errorMessage).toMatch(/boolean flag, not string/);
      const unknown = await client.getBooleanDetails('no-such-flag', true);
      expect(unknown).toMatchObject({ value: true, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND });
      const noKey = await client.getObjectDetails('search-ranking', { model: 'none' });
      expect(noKey).toMatchObject({ value: { model: 'none' }, errorCode: ErrorCode.TARGETING_KEY_MISSING });
    });

    it('applies a change pushed on the stream and emits CONFIGURATION_CHANGED naming the flag', async () => {
      const { client, ready, events } = await connect(backend);
      await ready;
      expect(await client.getBooleanValue('new-checkout', false, { targetingKey: 'bob' })).toBe(false);
      await backend.setFlags(checkoutFlags({ newCheckout: true }));
      const changed = await until(
        () => events.seen.find((event) => event.type === ProviderEvents.ConfigurationChanged),
        'CONFIGURATION_CHANGED',
      );
      expect(changed.details.flagsChanged).toEqual(['new-checkout']);
      expect(await client.getBooleanValue('new-checkout', false, { targetingKey: 'bob' })).toBe(true);
      await backend.setFlags(checkoutFlags());
      await until(() => events.count(ProviderEvents.ConfigurationChanged) === 2, 'the second change');
    });

    it('serves the last set while the server is down, reports STALE, and after a restart catches up', async () => {
      const { client, ready, events, provider, requests } = await connect(backend);
      await ready;
      const before = provider.flagState?.version;
      await backend.stop();
      await until(() => events.count(ProviderEvents.Stale) === 1, 'STALE');
      expect(client.providerStatus).toBe(ProviderStatus.STALE);
      expect(await client.getBooleanDetails('new-checkout', false, { targetingKey: 'alice' })).toMatchObject({
        value: true,
        reason: 'TARGETING_MATCH',
      });

      await backend.setFlags(checkoutFlags({ newCheckout: true })); // changed while the server is away
      await backend.restart();
      await until(() => events.count(ProviderEvents.ConfigurationChanged) === 1, 'the change made meanwhile');
      expect(events.count(ProviderEvents.Ready)).toBe(2);
      expect(client.providerStatus).toBe(ProviderStatus.READY);
      expect(provider.flagState?.version).toBeGreaterThan(before ?? Number.POSITIVE_INFINITY);
      expect(await client.getBooleanValue('new-checkout', false, { targetingKey: 'bob' })).toBe(true);
      // Every stream request, the reconnections included, said which version the provider has.
      const ids = requests.streamRequests.map((headers) => headers.get('last-event-id'));
      expect(ids.length).toBeGreaterThan(1);
      expect(ids.every((id) => id === String(before))).toBe(true);
      await backend.setFlags(checkoutFlags());
    });

    it('with a refused token: initialization fails, ERROR is emitted and evaluations answer defaults', async () => {
      const { client, ready, events } = await connect(backend, {
        token: 'flt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      });
      expect(await ready).toBeInstanceOf(Error);
      expect(events.count(ProviderEvents.Error)).toBe(1);
      expect(client.providerStatus).toBe(ProviderStatus.FATAL);
      const details = await client.getBooleanDetails('new-checkout', true, { targetingKey: 'alice' });
      expect(details).toMatchObject({ value: true, reason: 'ERROR', errorCode: ErrorCode.PROVIDER_FATAL });
    });

    it('refuses a token scoped to other environments the same way', async () => {
      const { client, ready } = await connect(backend, { token: backend.otherEnvironmentToken });
      expect((await ready)?.message).toMatch(/403/);
      expect(await client.getStringDetails('button-colour', 'red')).toMatchObject({
        value: 'red',
        reason: 'ERROR',
      });
    });

    it('when the server is down at start: fails initialization, answers PROVIDER_NOT_READY, then becomes READY', async () => {
      await backend.stop();
      const { client, ready, events, provider } = await connect(backend, { initTimeoutMs: 200 });
      expect((await ready)?.message).toMatch(/no flag set within 200 ms/);
      expect(client.providerStatus).toBe(ProviderStatus.ERROR);
      expect(await provider.resolveBooleanEvaluation('new-checkout', true, {})).toMatchObject({
        value: true,
        reason: 'ERROR',
        errorCode: ErrorCode.PROVIDER_NOT_READY,
      });
      expect(await client.getBooleanDetails('new-checkout', true)).toMatchObject({
        value: true,
        reason: 'ERROR',
      });
      await backend.restart();
      await until(() => events.count(ProviderEvents.Ready) === 1, 'READY after the server came up');
      expect(client.providerStatus).toBe(ProviderStatus.READY);
      expect(await client.getBooleanValue('new-checkout', false, { targetingKey: 'alice' })).toBe(true);
    });
  });
}
