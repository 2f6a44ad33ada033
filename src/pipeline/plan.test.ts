import { describe, expect, it } from 'vitest';
import { type FlowlineConfig, parseConfig } from '../config/index.js';
import { buildPlan, finallyNode } from './plan.js';

function config(yaml: string): FlowlineConfig {
  const parsed = parseConfig(`version: 1\nservice: shop\n${yaml}`, 'flowline.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.config;
}

const PIPELINE = `
build: { command: make }
stages:
  unit: { steps: [{ run: 'true' }] }
  lint: { needs: [], steps: [{ run: 'true' }] }
  e2e: { needs: [unit], steps: [{ run: 'true' }] }
finally: [{ run: 'true' }]
`;

describe('buildPlan', () => {
  it('puts the build first and keeps the stages in file order', () => {
    const plan = buildPlan(config(PIPELINE));
    expect(plan.map((n) => [n.name, n.kind, n.needs])).toEqual([
      ['build', 'build', []],
      ['unit', 'stage', ['build']],
      ['lint', 'stage', []],
      ['e2e', 'stage', ['unit']],
    ]);
    expect(finallyNode(config(PIPELINE))).toMatchObject({ name: 'finally', kind: 'finally' });
  });

  it('has no build node without a build command, and `needs: [build]` is met from the start', () => {
    const plan = buildPlan(config('stages:\n  unit: { steps: [{ run: "true" }] }\n'));
    expect(plan.map((n) => [n.name, n.needs])).toEqual([['unit', []]]);
    expect(finallyNode(config('stages:\n  unit: { steps: [{ run: "true" }] }\n'))).toBeUndefined();
  });

  it('keeps only the stages asked for and what they need, transitively', () => {
    expect(buildPlan(config(PIPELINE), ['e2e']).map((n) => n.name)).toEqual(['build', 'unit', 'e2e']);
    expect(buildPlan(config(PIPELINE), ['lint']).map((n) => n.name)).toEqual(['lint']);
  });

  it('names unknown stages given to --stages', () => {
    expect(() => buildPlan(config(PIPELINE), ['unit', 'integ'])).toThrow(
      expect.objectContaining({ code: 'FLOWLINE_USAGE', message: expect.stringContaining('`integ`') }),
    );
  });

  it('refuses a cycle even in a config that skipped validation', () => {
    const valid = config(PIPELINE);
    const broken: FlowlineConfig = {
      ...valid,
      stages: {
        ...valid.stages,
        unit: { ...(valid.stages.unit as FlowlineConfig['stages'][string]), needs: ['e2e'] },
      },
    };
    expect(() => buildPlan(broken)).toThrow(
      expect.objectContaining({ code: 'FLOWLINE_CONFIG_INVALID', message: expect.stringContaining('cycle') }),
    );
  });
});
