import { afterEach, describe, expect, it, vi } from 'vitest';
import { evaluate } from '../engine/evaluate.js';
import { compileOrThrow } from '../testing.js';
import { importUnleash } from './import.js';
import { answers, flowlineContext, type UnleashContext, unleashReference } from './reference.js';

/**
 * Unleash's documented behaviour, item by item (docs.getunleash.io: activation strategies,
 * stickiness, constraints, dependent features), each checked against unleash-client too.
 */

interface Doc {
  features: Record<string, unknown>[];
  segments?: Record<string, unknown>[];
}

function setUp(doc: Doc) {
  const imported = importUnleash(doc);
  if (!imported.ok) throw new Error(imported.error);
  const flags = compileOrThrow(imported.definition);
  const reference = unleashReference(doc);
  /** Unleash's answer, after checking Flowline gives the same. */
  const ask = (name: string, context: UnleashContext): string => {
    const both = answers(reference, flags, name, context);
    expect(both.flowline, `${name} ${JSON.stringify(context)}`).toBe(both.unleash);
    return both.unleash;
  };
  return { imported, flags, ask };
}

const feature = (name: string, strategies: unknown[], extra: Record<string, unknown> = {}) => ({
  name,
  enabled: true,
  strategies,
  ...extra,
});
const rollout = (rollout: number, stickiness: string, extra: Record<string, unknown> = {}) => ({
  name: 'flexibleRollout',
  parameters: { rollout: String(rollout), stickiness, groupId: 'g' },
  constraints: [],
  ...extra,
});

afterEach(() => vi.restoreAllMocks());

describe('stickiness: a missing attribute does not turn a feature off', () => {
  const variants = [
    { name: 'a', weight: 500, stickiness: 'default' },
    { name: 'b', weight: 500, stickiness: 'default' },
  ];
  const { ask, flags } = setUp({
    features: [
      feature('full', [rollout(100, 'default')]),
      feature('half', [rollout(50, 'default')]),
      feature('tenant', [rollout(50, 'tenant')]),
      feature('variants', [rollout(100, 'default', { variants })]),
    ],
  });

  it('a 100% rollout by default stickiness is on without userId or sessionId', () => {
    expect(ask('full', {})).toBe('true');
  });

  it('a partial rollout places an anonymous user at random (Unleash draws a random id)', () => {
    const spy = vi.spyOn(Math, 'random');
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      spy.mockReturnValue(i / 200);
      seen.add(ask('half', {}));
    }
    expect([...seen].sort()).toEqual(['false', 'true']);
    expect(evaluate(flags, 'half', {}).errorCode).toBeUndefined();
  });

  it('a custom stickiness attribute that is missing leaves the user out (unleash-client answers false)', () => {
    expect(ask('tenant', { userId: 'u' })).toBe('false');
  });

  it('still assigns a variant to a user without any stickiness attribute', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.7); // both draw Unleash's random id from it
    const answer = JSON.parse(ask('variants', {})) as { name: string; feature_enabled: boolean };
    expect(['a', 'b']).toContain(answer.name);
    expect(answer.feature_enabled).toBe(true);
    expect(evaluate(flags, 'variants', {}).reason).toBe('SPLIT');
  });
});

describe('gradualRolloutRandom', () => {
  const random = (percentage: number) => ({ name: 'gradualRolloutRandom', parameters: { percentage } });
  const { ask, imported, flags } = setUp({
    features: [
      feature('none', [random(0)]),
      feature('all', [random(100)]),
      feature('third', [random(33), { name: 'userWithId', parameters: { userIds: 'vip' } }]),
    ],
  });

  it('is imported with the strategies around it', () => {
    expect(imported.skipped).toEqual([]);
    expect(imported.notes).toContainEqual({ flag: 'third', message: expect.stringContaining('new draw') });
  });

  it('is deterministic at 0% and 100%', () => {
    for (const userId of ['a', 'b', 'c']) {
      expect(ask('none', { userId })).toBe('false');
      expect(ask('all', { userId })).toBe('true');
    }
    expect(ask('third', { userId: 'vip' })).toBe('true');
  });

  it('turns the feature on for about its share of evaluations', () => {
    let on = 0;
    for (let i = 0; i < 6000; i++) if (evaluate(flags, 'third', { targetingKey: 'x' }).value === true) on++;
    expect(on / 6000).toBeGreaterThan(0.3);
    expect(on / 6000).toBeLessThan(0.36);
  });
});

describe('dependent features', () => {
  const parent = feature('parent', [rollout(100, 'default', { variants: [{ name: 'blue', weight: 1000 }] })]);
  const many = Array.from({ length: 36 }, (_, i) => feature(`f${i}`, [{ name: 'default' }]));
  const { ask, imported } = setUp({
    features: [
      parent,
      feature('wants-red', [{ name: 'default' }], {
        dependencies: [{ feature: 'parent', variants: ['red'] }],
      }),
      feature('wants-blue', [{ name: 'default' }], {
        dependencies: [{ feature: 'parent', variants: ['blue'] }],
      }),
      feature('grandchild', [{ name: 'default' }], { dependencies: [{ feature: 'wants-blue' }] }),
      ...many,
    ],
  });

  it('imports a dependency on a variant the parent lacks, and the rest of the export with it', () => {
    expect(imported.skipped).toEqual([]);
    expect(Object.keys(imported.definition.flags)).toHaveLength(40);
    expect(imported.notes).toContainEqual({
      flag: 'wants-red',
      message: expect.stringContaining('variant `red` of `parent`, which `parent` does not have'),
    });
  });

  it('evaluates it as not satisfied (off), as Unleash does', () => {
    expect(ask('wants-red', { userId: 'u' })).toBe('false');
    expect(ask('wants-blue', { userId: 'u' })).toBe('true');
  });

  it('never satisfies a dependency on a feature that has dependencies itself', () => {
    expect(ask('grandchild', { userId: 'u' })).toBe('false');
  });
});

describe('DATE_AFTER / DATE_BEFORE', () => {
  const { ask } = setUp({
    features: [
      feature('launch', [
        {
          name: 'default',
          constraints: [
            { contextName: 'currentTime', operator: 'DATE_AFTER', value: '2030-01-01T00:00:00.000Z' },
          ],
        },
      ]),
      feature('early', [
        {
          name: 'default',
          constraints: [{ contextName: 'x', operator: 'DATE_BEFORE', value: '2030-01-01T00:00:00Z' }],
        },
      ]),
    ],
  });

  it('use the context’s currentTime when given', () => {
    expect(ask('launch', { currentTime: new Date('2030-06-01T00:00:00Z') })).toBe('true');
    expect(ask('early', { currentTime: new Date('2030-06-01T00:00:00Z') })).toBe('false');
    expect(ask('early', { currentTime: new Date('2029-06-01T00:00:00Z') })).toBe('true');
  });

  it('use the evaluation time otherwise', () => {
    expect(ask('launch', {})).toBe('false');
    expect(ask('early', {})).toBe('true');
  });
});

describe('REGEX', () => {
  const regex = (name: string, value: string, caseInsensitive = false) =>
    feature(name, [
      { name: 'default', constraints: [{ contextName: 'email', operator: 'REGEX', value, caseInsensitive }] },
    ]);
  const { ask, imported } = setUp({
    features: [
      regex('flag-i', '(?i)^admin@'),
      regex('posix', '^[[:alpha:]]+$'),
      regex('unicode', '^\\pL+$'),
      regex('lookahead', '^(?=a)'),
    ],
  });
  const on = (name: string, email: string) => ask(name, { properties: { email } });

  it('honours RE2 flags such as (?i)', () => {
    expect(on('flag-i', 'ADMIN@x.io')).toBe('true');
    expect(on('flag-i', 'root@x.io')).toBe('false');
  });

  it('translates POSIX classes with RE2’s meaning', () => {
    expect(on('posix', 'abc')).toBe('true');
    expect(on('posix', 'abc1')).toBe('false');
  });

  it('skips a pattern it cannot translate exactly, saying why; a pattern RE2 refuses never matches', () => {
    expect(imported.skipped).toEqual([
      { flag: 'unicode', message: expect.stringContaining('a Unicode class') },
    ]);
    expect(on('lookahead', 'abc')).toBe('false');
  });
});

describe('remoteAddress and IN_CIDR', () => {
  const { ask } = setUp({
    features: [
      feature('office', [
        { name: 'remoteAddress', parameters: { IPs: '10.1.2.3, not-an-ip, 192.168.0.0/16' } },
      ]),
      feature('cidr', [
        {
          name: 'default',
          constraints: [
            {
              contextName: 'remoteAddress',
              operator: 'IN_CIDR',
              values: ['2001:db8::/32', 'nonsense', '172.16.0.0/12'],
            },
          ],
        },
      ]),
    ],
  });

  it('ignores an invalid entry and keeps the others, ranges included', () => {
    expect(ask('office', { remoteAddress: '10.1.2.3' })).toBe('true');
    expect(ask('office', { remoteAddress: '192.168.40.1' })).toBe('true');
    expect(ask('office', { remoteAddress: '10.1.2.4' })).toBe('false');
  });

  it('matches IPv4 and IPv6 ranges in IN_CIDR', () => {
    expect(ask('cidr', { remoteAddress: '172.20.1.1' })).toBe('true');
    expect(ask('cidr', { remoteAddress: '2001:db8:1::7' })).toBe('true');
    expect(ask('cidr', { remoteAddress: '2001:db9::7' })).toBe('false');
    expect(ask('cidr', {})).toBe('false');
  });
});

describe('the client API delta format', () => {
  it('applies hydration, feature and segment updates and removals in order', () => {
    const segment = (id: number, values: string[]) => ({
      id,
      constraints: [{ contextName: 'plan', operator: 'IN', values }],
    });
    const result = importUnleash({
      events: [
        {
          type: 'hydration',
          eventId: 1,
          features: [feature('a', [{ name: 'default', segments: [1] }]), feature('gone', [])],
          segments: [segment(1, ['pro']), segment(2, ['x'])],
        },
        { type: 'feature-updated', eventId: 2, feature: feature('b', [{ name: 'default' }]) },
        { type: 'feature-removed', eventId: 3, featureName: 'gone', project: 'default' },
        { type: 'segment-updated', eventId: 4, segment: segment(1, ['team']) },
        { type: 'segment-removed', eventId: 5, segmentId: 2 },
      ],
    });
    if (!result.ok) throw new Error(result.error);
    expect(Object.keys(result.definition.flags)).toEqual(['a', 'b']);
    expect(Object.keys(result.definition.segments ?? {})).toEqual(['unleash-segment-1']);
    const flags = compileOrThrow(result.definition);
    const on = (plan: string) =>
      evaluate(flags, 'a', flowlineContext({ userId: 'u', properties: { plan } })).value;
    expect(on('team')).toBe(true);
    expect(on('pro')).toBe(false);
  });
});

describe('partial import', () => {
  it('skips only the features it cannot reproduce, each with its reason in Unleash’s terms', () => {
    const result = importUnleash({
      features: [
        feature('ok', [{ name: 'default' }]),
        feature('custom', [{ name: 'myTenantStrategy', parameters: {} }]),
        feature('host', [{ name: 'applicationHostname', parameters: { hostNames: 'a' } }]),
        feature('op', [
          { name: 'default', constraints: [{ contextName: 'x', operator: 'STR_FUZZY', values: ['a'] }] },
        ]),
        feature('child', [{ name: 'default' }], { dependencies: [{ feature: 'custom' }] }),
      ],
    });
    if (!result.ok) throw new Error(result.error);
    expect(Object.keys(result.definition.flags)).toEqual(['ok']);
    expect(result.skipped).toEqual([
      { flag: 'custom', message: expect.stringContaining('the custom strategy `myTenantStrategy`') },
      { flag: 'host', message: expect.stringContaining('the strategy `applicationHostname`') },
      { flag: 'op', message: expect.stringContaining('the constraint operator STR_FUZZY') },
      { flag: 'child', message: 'it depends on `custom`, which was not imported' },
    ]);
  });
});
