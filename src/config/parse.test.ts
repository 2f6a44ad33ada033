import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './index.js';
import type { FlowlineConfig } from './types.js';

const EXAMPLE = new URL('../../examples/hello/flowline.yaml', import.meta.url);
const DOCS = new URL('../../docs/config.md', import.meta.url);

function valid(text: string): FlowlineConfig {
  const result = parseConfig(text, 'flowline.yaml');
  if (!result.ok) throw new Error(`expected a valid config, got:\n${JSON.stringify(result.errors, null, 2)}`);
  return result.config;
}

const MINIMAL = 'version: 1\nservice: shop\n';

describe('parseConfig on valid files', () => {
  it('accepts the example service without errors or warnings', async () => {
    const result = parseConfig(await readFile(EXAMPLE, 'utf8'), 'examples/hello/flowline.yaml');
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.ok && result.config.service).toBe('hello');
  });

  it('accepts the complete files shown in docs/config.md', async () => {
    const docs = await readFile(DOCS, 'utf8');
    const files = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((match) => match[1] ?? '')
      .filter((block) => /^version: 1$/m.test(block));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const text of files) {
      const result = parseConfig(text, 'docs/config.md');
      expect(result.ok ? [] : result.errors).toEqual([]);
    }
  });

  it('fills every default into a minimal file', () => {
    const config = valid(MINIMAL);
    expect(config.build).toEqual({ inputs: ['**'], env: [], output: '.', exclude: [], timeout: 30 * 60_000 });
    expect(config.pipeline).toEqual({
      trunk: 'main',
      cancelOnFailure: true,
      andon: true,
      deploy: { trunk: [], pullRequests: [] },
    });
    expect(config.stages).toEqual({});
    expect(config.environments).toEqual({});
    expect(config.run).toBeUndefined();
    expect(config.quality).toEqual({ deliverables: [] });
    expect(config).not.toHaveProperty('notify');
  });

  it('lets stages need the build unless they say otherwise', () => {
    const config = valid(
      `${MINIMAL}stages:\n  unit: { steps: [{ run: npm test }] }\n  lint: { needs: [], steps: [{ run: npm run lint }] }\n`,
    );
    expect(config.stages.unit?.needs).toEqual(['build']);
    expect(config.stages.lint?.needs).toEqual([]);
    expect(config.stages.unit?.steps[0]).toEqual({ name: 'npm test', run: 'npm test', env: {} });
    expect(config.stages.unit?.timeout).toBe(1_800_000);
  });

  it('turns durations into milliseconds', () => {
    const config = valid(
      `${MINIMAL}build: { timeout: 1h30m }\nrun:\n  command: node server.js\n  health: { interval: 500ms, timeout: 1.5s, startPeriod: 2m }\n` +
        'environments:\n  preview: { ephemeral: true, ttl: 7d }\n',
    );
    expect(config.build.timeout).toBe(5_400_000);
    expect(config.run?.health).toMatchObject({ interval: 500, timeout: 1500, startPeriod: 120_000 });
    expect(config.environments.preview?.ttl).toBe(7 * 86_400_000);
  });

  it('resolves environment instances and env on top of run', () => {
    const config = valid(
      `${MINIMAL}run: { command: node server.js, instances: 2, env: { LOG_LEVEL: info, WORKERS: 4, DEBUG: false } }\n` +
        'environments:\n  staging: {}\n  production: { instances: 5, env: { LOG_LEVEL: warn } }\n',
    );
    expect(config.environments.staging).toMatchObject({
      name: 'staging',
      instances: 2,
      strategy: { kind: 'allAtOnce' },
    });
    expect(config.environments.production?.instances).toBe(5);
    expect(config.environments.production?.env).toEqual({ LOG_LEVEL: 'warn', WORKERS: '4', DEBUG: 'false' });
  });

  it('tags strategies, canary steps and providers with a kind', () => {
    const config = valid(
      `${MINIMAL}run: { command: x }\nenvironments:\n  production:\n    strategy:\n      canary:\n` +
        '        steps: [{ setWeight: 10 }, { pause: {} }, { pause: { duration: 30s } }, { analysis: { templates: [{ templateName: t }] } }]\n' +
        'analysis:\n  templates:\n    t:\n      metrics:\n        - { name: p99, provider: { judge: { signal: latencyP99 } } }\n' +
        '        - { name: err, interval: 5s, successCondition: result < 0.01, provider: { router: { signal: errorRate } } }\n',
    );
    const strategy = config.environments.production?.strategy;
    expect(strategy?.kind).toBe('canary');
    if (strategy?.kind !== 'canary') return;
    expect(strategy.steps).toEqual([
      { kind: 'setWeight', weight: 10 },
      { kind: 'pause', duration: undefined },
      { kind: 'pause', duration: 30_000 },
      { kind: 'analysis', templates: ['t'] },
    ]);
    expect(strategy.trafficRouting.sticky).toBe(true);
    const [judge, router] = config.analysis.templates.t?.metrics ?? [];
    expect(judge?.provider).toEqual({
      kind: 'judge',
      signal: 'latencyP99',
      test: 'mannWhitney',
      // No tolerance: the judge defaults it by the baseline it compares with (fresh 10%, stable 15%).
      confidence: 0.95,
      direction: 'increase',
      window: 60_000,
    });
    expect(judge?.provider).not.toHaveProperty('tolerance');
    expect(judge?.count).toBe(1);
    expect(router?.count).toBeUndefined();
    expect(router?.consecutiveErrorLimit).toBe(4);
  });

  it('gives boolean flags on/off variants and turns rules into what they serve', () => {
    const config = valid(
      `${MINIMAL}run: { command: x }\nenvironments: { production: {} }\nsegments:\n  staff: { include: [u1] }\n` +
        'flags:\n  dark-mode:\n    environments:\n      production:\n        enabled: true\n' +
        '        rules: [{ segment: staff, variant: on }, { attribute: plan, op: equals, values: [pro], rollout: { variants: { on: 25.5, off: 74.5 } } }]\n',
    );
    const flag = config.flags['dark-mode'];
    expect(flag).toMatchObject({ key: 'dark-mode', type: 'boolean', variants: { on: true, off: false } });
    expect(flag?.defaultVariant).toBe('off');
    const env = flag?.environments.production;
    expect(env?.rules[0]).toEqual({
      name: undefined,
      segment: 'staff',
      condition: undefined,
      serve: { kind: 'variant', variant: 'on' },
    });
    expect(env?.rules[1]?.condition).toEqual({ attribute: 'plan', op: 'equals', values: ['pro'] });
    expect(env?.rules[1]?.serve).toEqual({
      kind: 'rollout',
      rollout: { bucketBy: 'targetingKey', variants: { on: 25.5, off: 74.5 } },
    });
    expect(env?.fallthrough).toEqual({ kind: 'variant', variant: 'off' });
  });

  it('accepts YAML anchors and merge keys to share settings', () => {
    const config = valid(
      `${MINIMAL}run: { command: x }\nenvironments:\n  staging: &base { instances: 2, autoRollback: false }\n  production:\n    <<: *base\n    protected: true\n`,
    );
    expect(config.environments.production).toMatchObject({
      instances: 2,
      autoRollback: false,
      protected: true,
    });
  });
});
