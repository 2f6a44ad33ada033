// The three benchmark flags in each engine's own format, equivalent by construction (bench/flags.js
// checks that every engine gives the same answers before timing them):
// a. a plain on/off flag; b. a 10% rollout; c. a segment (a list of ids, or an email domain) and
// three attribute rules (country in a list → off; plan = enterprise → on; age ≥ 65 → on).

export const BETA_IDS = Array.from({ length: 100 }, (_, i) => `beta-${i}`);
const NEAR = ['DE', 'FR', 'NL'];

export const FLOWLINE = {
  segments: {
    beta: { include: BETA_IDS, when: { attribute: 'email', op: 'endsWith', values: ['@example.com'] } },
  },
  flags: {
    a: {
      type: 'boolean',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      enabled: true,
      fallthrough: { variant: 'on' },
    },
    b: {
      type: 'boolean',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      enabled: true,
      fallthrough: {
        rollout: {
          split: [
            { variant: 'on', weight: 10 },
            { variant: 'off', weight: 90 },
          ],
        },
      },
    },
    c: {
      type: 'boolean',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      enabled: true,
      rules: [
        { when: { segment: 'beta' }, serve: { variant: 'on' } },
        { when: { attribute: 'country', op: 'in', values: NEAR }, serve: { variant: 'off' } },
        { when: { attribute: 'plan', op: 'equals', values: ['enterprise'] }, serve: { variant: 'on' } },
        { when: { attribute: 'age', op: 'gte', values: [65] }, serve: { variant: 'on' } },
      ],
    },
  },
};
const BOOL = { state: 'ENABLED', variants: { on: true, off: false } };
export const FLAGD = {
  $evaluators: {
    beta: {
      or: [{ in: [{ var: 'targetingKey' }, BETA_IDS] }, { ends_with: [{ var: 'email' }, '@example.com'] }],
    },
  },
  flags: {
    a: { ...BOOL, defaultVariant: 'on' },
    b: {
      ...BOOL,
      defaultVariant: 'off',
      targeting: {
        fractional: [
          ['on', 10],
          ['off', 90],
        ],
      },
    },
    c: {
      ...BOOL,
      defaultVariant: 'off',
      targeting: {
        if: [
          { $ref: 'beta' },
          'on',
          { in: [{ var: 'country' }, NEAR] },
          'off',
          { '==': [{ var: 'plan' }, 'enterprise'] },
          'on',
          { '>=': [{ var: 'age' }, 65] },
          'on',
          'off',
        ],
      },
    },
  },
};
const notNear = { contextName: 'country', operator: 'NOT_IN', values: NEAR };
export const UNLEASH = {
  segments: [{ id: 1, name: 'beta', constraints: [] }],
  features: [
    { name: 'a', enabled: true, strategies: [{ name: 'default', parameters: {}, constraints: [] }] },
    {
      name: 'b',
      enabled: true,
      strategies: [
        {
          name: 'flexibleRollout',
          parameters: { rollout: '10', stickiness: 'userId', groupId: 'b' },
          constraints: [],
        },
      ],
    },
    {
      name: 'c',
      enabled: true,
      strategies: [
        { name: 'userWithId', parameters: { userIds: BETA_IDS.join(',') }, constraints: [] },
        {
          name: 'default',
          parameters: {},
          constraints: [{ contextName: 'email', operator: 'STR_ENDS_WITH', values: ['@example.com'] }],
        },
        {
          name: 'default',
          parameters: {},
          constraints: [notNear, { contextName: 'plan', operator: 'IN', values: ['enterprise'] }],
        },
        {
          name: 'default',
          parameters: {},
          constraints: [notNear, { contextName: 'age', operator: 'NUM_GTE', value: '65' }],
        },
      ],
    },
  ],
};
export const GROWTHBOOK = {
  a: { defaultValue: true },
  b: { defaultValue: false, rules: [{ force: true, coverage: 0.1, hashAttribute: 'id' }] },
  c: {
    defaultValue: false,
    rules: [
      {
        condition: { $or: [{ id: { $in: BETA_IDS } }, { email: { $regex: '@example\\.com$' } }] },
        force: true,
      },
      { condition: { country: { $in: NEAR } }, force: false },
      { condition: { plan: 'enterprise' }, force: true },
      { condition: { age: { $gte: 65 } }, force: true },
    ],
  },
};
