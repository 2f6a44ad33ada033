import { OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { FlowlineServerProvider } from '../src/server.js';
import { FakeFlowline } from './fake-flowline.js';
import {
  checkoutFlags,
  type FlagBackend,
  fastOptions,
  recordEvents,
  recordingLogger,
  until,
} from './helpers.js';
import { serverProviderContract } from './server-contract.js';
import { webProviderContract } from './web-contract.js';

const TOKEN = 'client-production';
const OTHER = 'client-staging';

/** The contract-shaped fake behind the FlagBackend interface the contract suites use. */
async function fakeBackend(keepAliveMs = 15_000): Promise<FlagBackend & { readonly fake: FakeFlowline }> {
  const fake = new FakeFlowline({ tokens: { [TOKEN]: ['production'], [OTHER]: ['staging'] }, keepAliveMs });
  await fake.listen();
  return {
    fake,
    url: fake.url,
    service: 'shop',
    environment: 'production',
    token: TOKEN,
    otherEnvironmentToken: OTHER,
    setFlags: async (definition) => void fake.setFlags('shop', 'production', definition),
    stop: () => fake.close(),
    restart: () => fake.listen(),
    close: () => fake.close(),
  };
}

serverProviderContract('the contract-shaped fake server', () => fakeBackend());
webProviderContract('the contract-shaped fake server', () => fakeBackend());

describe('the Node provider against a misbehaving server', () => {
  const opened: FlagBackend[] = [];
  afterAll(async () => {
    await OpenFeature.close();
    for (const backend of opened) await backend.close();
  });

  it('reopens a stream that went silent (a half-open connection) and receives what it missed', async () => {
    const backend = await fakeBackend(50);
    opened.push(backend);
    backend.fake.setFlags('shop', 'production', checkoutFlags());
    const logger = recordingLogger();
    const provider = new FlowlineServerProvider({ ...fastOptions(backend, logger), idleTimeoutMs: 300 });
    const events = recordEvents(provider.events, [ProviderEvents.ConfigurationChanged]);
    await OpenFeature.setProviderAndWait('silent', provider);
    await until(() => backend.fake.streams === 1, 'the stream');
    backend.fake.muteOpenStreams();
    backend.fake.setFlags('shop', 'production', checkoutFlags({ newCheckout: true })); // not delivered
    // Nothing arrives for idleTimeoutMs: the provider gives up on the stream and opens another.
    const streamIds = () =>
      backend.fake.requests.filter((r) => r.path.endsWith('/stream')).map((r) => r.headers['last-event-id']);
    await until(() => streamIds().length === 2, 'a second stream request', 2_000);
    await until(
      () => events.count(ProviderEvents.ConfigurationChanged) === 1,
      'the change after reconnecting',
    );
    expect(logger.lines.some((line) => line.includes('nothing received for 300 ms'))).toBe(true);
    expect(streamIds()).toEqual(['1', '1']);
  });

  it('keeps serving the last set when a new version does not compile, and says why', async () => {
    const backend = await fakeBackend();
    opened.push(backend);
    backend.fake.setFlags('shop', 'production', checkoutFlags());
    const logger = recordingLogger();
    const provider = new FlowlineServerProvider(fastOptions(backend, logger));
    await OpenFeature.setProviderAndWait('broken', provider);
    const client = OpenFeature.getClient('broken');
    backend.fake.setFlags('shop', 'production', { flags: 'not flags' } as never);
    await until(() => logger.lines.find((line) => line.includes('does not compile')), 'the compile error');
    expect(provider.flagState?.version).toBe(1);
    expect(await client.getBooleanValue('new-checkout', false, { targetingKey: 'alice' })).toBe(true);
  });

  it('answers PARSE_ERROR for a single flag a newer server wrote, and the other flags normally', async () => {
    const backend = await fakeBackend();
    opened.push(backend);
    const flags = checkoutFlags();
    const future = {
      ...flags.flags['button-colour'],
      rules: [{ when: { attribute: 'x', op: 'fuzzy', values: [] } }],
    };
    backend.fake.setFlags('shop', 'production', {
      ...flags,
      flags: { ...flags.flags, 'button-colour': future },
    } as never);
    const logger = recordingLogger();
    await OpenFeature.setProviderAndWait('partial', new FlowlineServerProvider(fastOptions(backend, logger)));
    const client = OpenFeature.getClient('partial');
    expect(await client.getStringDetails('button-colour', 'red')).toMatchObject({
      value: 'red',
      errorCode: 'PARSE_ERROR',
    });
    expect(await client.getNumberValue('max-items', 0)).toBe(50);
    expect(logger.lines.some((line) => line.startsWith('warn') && line.includes('PARSE_ERROR'))).toBe(true);
  });
});
