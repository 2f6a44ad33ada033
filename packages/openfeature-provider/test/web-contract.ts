import { ErrorCode, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/web-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowlineWebProvider } from '../src/web.js';
import {
  checkoutFlags,
  type FlagBackend,
  fastOptions,
  recordEvents,
  recordingLogger,
  until,
} from './helpers.js';

const EVENTS = [
  ProviderEvents.Ready,
  ProviderEvents.Error,
  ProviderEvents.Stale,
  ProviderEvents.ConfigurationChanged,
  ProviderEvents.ContextChanged,
  ProviderEvents.Reconciling,
] as const;

let domains = 0;

async function connect(backend: FlagBackend, context: Record<string, string>, token?: string) {
  const logger = recordingLogger();
  const provider = new FlowlineWebProvider({ ...fastOptions(backend, logger), ...(token ? { token } : {}) });
  const domain = `web-${++domains}`;
  await OpenFeature.setContext(domain, context);
  const client = OpenFeature.getClient(domain);
  const events = recordEvents(client, EVENTS);
  const ready = OpenFeature.setProviderAndWait(domain, provider).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  return { provider, client, events, ready, domain };
}

/** What the browser provider must do against any server keeping Flowline's flag delivery contract. */
export function webProviderContract(name: string, createBackend: () => Promise<FlagBackend>): void {
  describe(`the web provider against ${name}`, () => {
    let backend: FlagBackend;

    beforeAll(async () => {
      backend = await createBackend();
      await backend.setFlags(checkoutFlags());
    });

    afterAll(async () => {
      await OpenFeature.close();
      await backend?.close();
    });

    it('resolves synchronously for the static context and re-evaluates locally when it changes', async () => {
      const { client, ready, events, domain } = await connect(backend, {
        targetingKey: 'alice',
        plan: 'free',
      });
      expect(await ready).toBeUndefined();
      expect(client.getBooleanDetails('new-checkout', false)).toMatchObject({
        value: true,
        reason: 'TARGETING_MATCH',
      });
      expect(client.getStringValue('button-colour', 'red')).toBe('blue');

      await OpenFeature.setContext(domain, { targetingKey: 'bob', plan: 'pro' });
      expect(events.count(ProviderEvents.ContextChanged)).toBe(1);
      expect(events.count(ProviderEvents.Reconciling)).toBe(0); // nothing to fetch: no RECONCILING state
      expect(client.getBooleanValue('new-checkout', true)).toBe(false);
      expect(client.getStringValue('button-colour', 'red')).toBe('green');
      expect(client.getNumberValue('max-items', 0)).toBe(50);
      expect(client.getObjectDetails('search-ranking', {}).reason).toBe('SPLIT');
      expect(client.getNumberDetails('button-colour', 0)).toMatchObject({
        value: 0,
        reason: 'ERROR',
        errorCode: ErrorCode.TYPE_MISMATCH,
      });
    });

    it('applies a pushed change and emits CONFIGURATION_CHANGED naming the flag', async () => {
      const { client, ready, events } = await connect(backend, { targetingKey: 'bob' });
      await ready;
      await backend.setFlags(checkoutFlags({ newCheckout: true }));
      const changed = await until(
        () => events.seen.find((event) => event.type === ProviderEvents.ConfigurationChanged),
        'CONFIGURATION_CHANGED',
      );
      expect(changed.details.flagsChanged).toEqual(['new-checkout']);
      expect(client.getBooleanValue('new-checkout', false)).toBe(true);
      await backend.setFlags(checkoutFlags());
      await until(() => !client.getBooleanValue('new-checkout', true), 'the change back');
    });

    it('stays STALE across a context change while the server is down, and READY once it is back', async () => {
      const { client, ready, events, domain } = await connect(backend, { targetingKey: 'bob' });
      await ready;
      await backend.stop();
      await until(() => client.providerStatus === ProviderStatus.STALE, 'STALE');
      await OpenFeature.setContext(domain, { targetingKey: 'alice' });
      await until(() => events.count(ProviderEvents.Stale) === 2, 'STALE reported again');
      expect(client.providerStatus).toBe(ProviderStatus.STALE);
      expect(client.getBooleanValue('new-checkout', false)).toBe(true);
      await backend.restart();
      await until(() => client.providerStatus === ProviderStatus.READY, 'READY');
    });

    it('with a refused token: ERROR, and defaults with reason ERROR', async () => {
      const { client, ready, events } = await connect(backend, { targetingKey: 'alice' }, 'flt_not-a-token');
      expect(await ready).toBeInstanceOf(Error);
      expect(events.count(ProviderEvents.Error)).toBe(1);
      expect(client.getBooleanDetails('new-checkout', false)).toMatchObject({
        value: false,
        reason: 'ERROR',
      });
    });
  });
}
