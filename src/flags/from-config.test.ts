import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { evaluate } from './engine/index.js';
import { fromConfig } from './from-config.js';
import { compileOrThrow } from './testing.js';

const YAML = `
version: 1
service: shop
run: { command: node server.js }
environments:
  staging: {}
  production: {}
segments:
  staff: { include: [alice], rules: [{ attribute: email, op: endsWith, values: ["@shop.io"] }] }
flags:
  new-checkout:
    variants: { on: true, off: false }
    defaultVariant: off
    environments:
      production:
        enabled: false
        rules:
          - { segment: staff, variant: on }
          - { attribute: appVersion, op: semverLt, values: ["2.0.0"], variant: off }
        rollout: { variants: { on: 25, off: 75 } }
        schedule:
          - { at: "2026-12-01T09:00:00Z", enabled: true }
          - { at: "2026-12-08T09:00:00Z", rollout: { variants: { on: 100, off: 0 } } }
  banner:
    type: string
    variants: { none: "", sale: "Sale!" }
    defaultVariant: none
    prerequisites: [{ flag: new-checkout, variant: on }]
    environments:
      production: { enabled: true, defaultVariant: sale }
`;

describe('fromConfig', () => {
  const parsed = parseConfig(YAML, 'flowline.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const production = compileOrThrow(fromConfig(parsed.config, 'production'));

  it('answers DISABLED (the caller’s default) in an environment the flag is not configured for', () => {
    const staging = compileOrThrow(fromConfig(parsed.config, 'staging'));
    const result = evaluate(staging, 'new-checkout', { targetingKey: 'alice' });
    expect([result.value, result.variant, result.reason]).toEqual([undefined, undefined, 'DISABLED']);
  });

  it('applies the schedule of flowline.yaml by evaluation time', () => {
    const at = (iso: string) => ({ now: Date.parse(iso) });
    const alice = { targetingKey: 'alice' };
    expect(evaluate(production, 'new-checkout', alice, at('2026-11-30T00:00:00Z')).reason).toBe('DISABLED');
    expect(evaluate(production, 'new-checkout', alice, at('2026-12-02T00:00:00Z'))).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
    });
    const old = { targetingKey: 'zed', appVersion: '1.9.0' };
    expect(evaluate(production, 'new-checkout', old, at('2026-12-02T00:00:00Z')).value).toBe(false);
    const users = Array.from({ length: 2000 }, (_, i) => ({ targetingKey: `user-${i}` }));
    const share = (iso: string) =>
      users.filter((u) => evaluate(production, 'new-checkout', u, at(iso)).value === true).length /
      users.length;
    expect(share('2026-12-02T00:00:00Z')).toBeGreaterThan(0.2);
    expect(share('2026-12-02T00:00:00Z')).toBeLessThan(0.3);
    expect(share('2026-12-09T00:00:00Z')).toBe(1);
  });

  it('turns prerequisites into "only if that flag serves this variant"', () => {
    const now = { now: Date.parse('2026-12-09T00:00:00Z') };
    expect(evaluate(production, 'banner', { targetingKey: 'x' }, now)).toMatchObject({
      value: 'Sale!',
      reason: 'DEFAULT',
    });
    expect(evaluate(production, 'banner', { targetingKey: 'x' }, { now: 0 })).toMatchObject({
      value: '',
      reason: 'DEFAULT',
      flagMetadata: { prerequisiteFailed: 'new-checkout' },
    });
  });

  it('compiles the example flowline.yaml for each of its environments', async () => {
    const text = await readFile(new URL('../../examples/hello/flowline.yaml', import.meta.url), 'utf8');
    const example = parseConfig(text, 'flowline.yaml');
    if (!example.ok) throw new Error(JSON.stringify(example.errors));
    for (const environment of Object.keys(example.config.environments)) {
      expect(() => compileOrThrow(fromConfig(example.config, environment))).not.toThrow();
    }
  });
});
