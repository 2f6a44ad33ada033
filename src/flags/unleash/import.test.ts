import { type Context, InMemStorageProvider, Unleash } from 'unleash-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { evaluate } from '../engine/index.js';
import { compileOrThrow, prng, randomKeys } from '../testing.js';
import { importUnleash } from './import.js';

/** An export in the client API shape (what unleash-client bootstraps from). */
const EXPORT = {
  version: 2,
  segments: [
    { id: 1, name: 'beta-testers', constraints: [{ contextName: 'beta', operator: 'IN', values: ['true'] }] },
  ],
  features: [
    { name: 'simple', enabled: true, strategies: [{ name: 'default', parameters: {}, constraints: [] }] },
    {
      name: 'ten-percent',
      enabled: true,
      strategies: [
        {
          name: 'flexibleRollout',
          parameters: { rollout: '10', stickiness: 'default', groupId: 'ten-percent' },
          constraints: [],
        },
      ],
    },
    {
      name: 'targeted',
      enabled: true,
      strategies: [
        { name: 'userWithId', parameters: { userIds: 'alice, bob,carol' } },
        {
          name: 'flexibleRollout',
          parameters: { rollout: '50', stickiness: 'default', groupId: 'targeted' },
          constraints: [
            { contextName: 'country', operator: 'IN', values: ['DE', ' FR', ''] },
            { contextName: 'plan', operator: 'NOT_IN', values: ['free'] },
          ],
          segments: [1],
        },
        {
          name: 'default',
          parameters: {},
          constraints: [
            {
              contextName: 'email',
              operator: 'STR_ENDS_WITH',
              values: ['@EXAMPLE.com'],
              caseInsensitive: true,
            },
          ],
        },
      ],
    },
    {
      name: 'checkout-color',
      enabled: true,
      strategies: [
        {
          name: 'flexibleRollout',
          parameters: { rollout: '100', stickiness: 'default', groupId: 'checkout-color' },
          constraints: [
            { contextName: 'country', operator: 'IN', values: ['DE', 'US', 'PL'], inverted: true },
          ],
          variants: [
            { name: 'red', weight: 500, stickiness: 'default', payload: { type: 'string', value: '#c00' } },
            {
              name: 'green',
              weight: 300,
              stickiness: 'default',
              payload: { type: 'json', value: '{"shade":2}' },
            },
            {
              name: 'blue',
              weight: 200,
              stickiness: 'default',
              overrides: [{ contextName: 'userId', values: ['alice'] }],
            },
          ],
        },
        {
          name: 'default',
          parameters: {},
          constraints: [{ contextName: 'plan', operator: 'IN', values: ['team'] }],
        },
      ],
      variants: [
        { name: 'red', weight: 0, stickiness: 'tenant', payload: { type: 'string', value: '#c00' } },
        { name: 'yellow', weight: 1000, stickiness: 'tenant' },
      ],
    },
    {
      name: 'versions',
      enabled: true,
      strategies: [
        {
          name: 'default',
          constraints: [
            { contextName: 'appVersion', operator: 'SEMVER_GTE', value: '2.1.0' },
            { contextName: 'age', operator: 'NUM_GT', value: '17' },
            { contextName: 'signup', operator: 'DATE_AFTER', value: '2020-01-01T00:00:00.000Z' },
          ],
        },
        {
          name: 'default',
          constraints: [{ contextName: 'email', operator: 'REGEX', value: '^[a-f]', caseInsensitive: true }],
        },
      ],
    },
    { name: 'child', enabled: true, strategies: [], dependencies: [{ feature: 'targeted' }] },
    {
      name: 'not-child',
      enabled: true,
      strategies: [],
      dependencies: [{ feature: 'ten-percent', enabled: false }],
    },
    { name: 'off', enabled: false, strategies: [{ name: 'default' }] },
    {
      name: 'gradual',
      enabled: true,
      strategies: [{ name: 'gradualRolloutUserId', parameters: { percentage: 25, groupId: 'g' } }],
    },
    {
      name: 'random',
      enabled: true,
      strategies: [{ name: 'flexibleRollout', parameters: { rollout: '50', stickiness: 'random' } }],
    },
  ],
};

function contexts(count: number): { unleash: Context; ours: Record<string, unknown> }[] {
  const random = prng(11);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  return randomKeys(count, 77).map((key, i) => {
    const userId = i % 40 === 0 ? pick(['alice', 'bob', 'carol']) : i % 4 === 3 ? `${key}-ü` : key;
    const properties = {
      country: pick(['DE', 'FR', 'US', 'PL', 'BR']),
      plan: pick(['free', 'pro', 'team']),
      beta: pick(['true', 'false']),
      email: `${key.slice(0, 6)}@${pick(['example.com', 'Example.COM', 'shop.io'])}`,
      appVersion: pick(['1.0.0', '2.1.0', '2.1.0-rc.1', '3.0.0', 'v3.0.0']),
      age: String(Math.floor(random() * 60)),
      tenant: `t${Math.floor(random() * 30)}`,
    };
    return {
      unleash: { userId, sessionId: `s${i}`, properties },
      ours: { targetingKey: userId, sessionId: `s${i}`, ...properties },
    };
  });
}

describe('importUnleash', () => {
  let unleash: Unleash;
  const imported = importUnleash(JSON.stringify(EXPORT));
  if (!imported.ok) throw new Error(imported.error);

  beforeAll(async () => {
    // Offline: bootstrapped data, no polling (refreshInterval 0), no metrics, in-memory backup.
    unleash = new Unleash({
      appName: 'flowline-test',
      url: 'http://127.0.0.1:9/api/',
      refreshInterval: 0,
      disableMetrics: true,
      bootstrap: { data: EXPORT.features as never, segments: EXPORT.segments as never },
      storageProvider: new InMemStorageProvider(),
    });
    await new Promise((resolve) => unleash.once('ready', resolve));
  });
  afterAll(() => unleash.destroy());

  it('imports every feature of the export, random stickiness included', () => {
    expect(imported.skipped).toEqual([]);
    expect(Object.keys(imported.definition.flags)).toEqual(EXPORT.features.map((f) => f.name));
  });

  it('gives the same answers as unleash-client (isEnabled and getVariant) for 10,000 random users', () => {
    const compiled = compileOrThrow(imported.definition);
    const seen = new Set<string>();
    const random = prng(5);
    const spy = vi.spyOn(Math, 'random');
    for (const { unleash: context, ours } of contexts(10_000)) {
      // Both draw their random fallback ids from Math.random the same way: pin it per user.
      spy.mockReturnValue(random());
      for (const name of compiled.keys) {
        const result = evaluate(compiled, name, ours);
        const enabled = unleash.isEnabled(name, context);
        if (typeof result.value === 'boolean') {
          if (result.value !== enabled)
            throw new Error(`${name} ${JSON.stringify(context)}: ours ${result.value}, unleash ${enabled}`);
          seen.add(`${name}=${enabled}`);
          continue;
        }
        const { featureEnabled: _, ...variant } = unleash.getVariant(name, context);
        const same = canonical(result.value) === canonical(variant);
        if (!same || (result.value as { feature_enabled: boolean }).feature_enabled !== enabled) {
          throw new Error(
            `${name} ${JSON.stringify(context)}: ours ${JSON.stringify(result.value)}, unleash ${JSON.stringify(variant)} ${enabled}`,
          );
        }
        seen.add(`${name}=${variant.name}`);
      }
    }
    spy.mockRestore();
    expect([...seen].sort()).toEqual([
      'checkout-color=blue',
      'checkout-color=disabled',
      'checkout-color=green',
      'checkout-color=red',
      'checkout-color=yellow',
      'child=false',
      'child=true',
      'gradual=false',
      'gradual=true',
      'not-child=false',
      'not-child=true',
      'off=false',
      'random=false',
      'random=true',
      'simple=true',
      'targeted=false',
      'targeted=true',
      'ten-percent=false',
      'ten-percent=true',
      'versions=false',
      'versions=true',
    ]);
  });

  it('keeps Unleash bucketing: about 10% of users are in the 10% rollout', () => {
    const compiled = compileOrThrow(imported.definition);
    const on = randomKeys(10_000, 3).filter(
      (targetingKey) => evaluate(compiled, 'ten-percent', { targetingKey }).value === true,
    );
    expect(on.length).toBeGreaterThan(900);
    expect(on.length).toBeLessThan(1100);
  });

  it('reads an admin export for one environment', () => {
    const admin = {
      features: [{ name: 'f', description: 'from the admin export' }],
      featureStrategies: [
        {
          featureName: 'f',
          name: 'default',
          environment: 'production',
          parameters: {},
          constraints: [],
          sortOrder: 1,
        },
        {
          featureName: 'f',
          name: 'userWithId',
          environment: 'production',
          parameters: { userIds: 'a' },
          sortOrder: 0,
          disabled: true,
        },
      ],
      featureEnvironments: [
        { featureName: 'f', environment: 'production', enabled: true },
        { featureName: 'f', environment: 'development', enabled: false },
      ],
    };
    expect(importUnleash(admin)).toEqual({
      ok: false,
      error: expect.stringContaining('several environments'),
    });
    const result = importUnleash(admin, { environment: 'production' });
    expect(result).toMatchObject({
      ok: true,
      definition: { flags: { f: { enabled: true, rules: [{ serve: { variant: 'on' } }] } } },
    });
  });
});

/** JSON with sorted keys, to compare values built in different orders. */
function canonical(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return `{${entries
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
    .join(',')}}`;
}
