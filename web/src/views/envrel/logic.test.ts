import { describe, expect, it } from 'vitest';
import {
  defaultArtifactText,
  healthWord,
  needsConfirmation,
  releaseActions,
  splitOf,
  stepPosition,
  stepText,
} from './logic.js';

const policy = { protected: false, after: null, ephemeral: false, deployRole: 'deploy' as const };

describe('environments and releases rules', () => {
  it('asks for confirmation on a protected environment, or one named production without a policy', () => {
    expect(needsConfirmation('live', { ...policy, protected: true })).toBe(true);
    expect(needsConfirmation('staging', policy)).toBe(false);
    expect(needsConfirmation('production', undefined)).toBe(true);
    expect(needsConfirmation('prod', policy)).toBe(true);
    expect(needsConfirmation('pr-12', undefined)).toBe(false);
  });

  it('calls an environment healthy only when every desired instance is', () => {
    expect(healthWord(null)).toBe('unknown');
    expect(healthWord({ healthy: 2, desired: 2, instances: [] })).toBe('healthy');
    expect(healthWord({ healthy: 1, desired: 2, instances: [] })).toBe('unhealthy');
    expect(healthWord({ healthy: 0, desired: 0, instances: [] })).toBe('unhealthy');
  });

  it('describes canary steps and where the release stands', () => {
    const ms = (n: number) => `${n / 1000}s`;
    expect(stepText({ kind: 'setWeight', weight: 20 }, ms)).toBe('set weight 20%');
    expect(stepText({ kind: 'pause' }, ms)).toBe('pause until promoted');
    expect(stepText({ kind: 'pause', duration: 30_000 }, ms)).toBe('pause 30s');
    expect(stepText({ kind: 'analysis', templates: ['errors', 'latency'] }, ms)).toBe(
      'analysis errors, latency',
    );
    const canary = {
      kind: 'canary' as const,
      steps: [{ kind: 'setWeight' as const, weight: 5 }, { kind: 'pause' as const }],
    };
    expect(stepPosition(canary, 1)).toBe('step 2 of 2');
    expect(stepPosition(canary, null)).toBeNull();
    expect(stepPosition({ kind: 'allAtOnce' }, 0)).toBeNull();
  });

  it('shows a split only when traffic goes to two revisions, the stable one first', () => {
    expect(splitOf([{ revision: 'r1', weight: 100 }], 'r1')).toEqual([]);
    expect(
      splitOf(
        [
          { revision: 'r2', weight: 20 },
          { revision: 'r1', weight: 80 },
        ],
        'r1',
      ),
    ).toEqual([
      { revision: 'r1', weight: 80, role: 'stable' },
      { revision: 'r2', weight: 20, role: 'new' },
    ]);
  });

  it("names the artifact the API deploys by default, and the actions a release's state allows", () => {
    expect(defaultArtifactText({ ...policy, after: 'staging' })).toContain('staging');
    expect(defaultArtifactText(undefined)).toContain('newest');
    expect(releaseActions({ underway: false, paused: false })).toEqual(['rollback']);
    expect(releaseActions({ underway: true, paused: true })).toContain('resume');
    expect(releaseActions({ underway: true, paused: false })).toContain('pause');
  });
});

describe('policy of an environment', () => {
  it('is the preview template for a preview, else the entry of its name', async () => {
    const { policyFor } = await import('./logic.js');
    const envs = {
      production: { ...policy, protected: true, deployRole: 'admin' as const },
      preview: { ...policy, ephemeral: true },
    };
    expect(policyFor(envs, 'pr-3', true)).toBe(envs.preview);
    expect(policyFor(envs, 'production', false)?.deployRole).toBe('admin');
    expect(policyFor(undefined, 'production', false)).toBeUndefined();
  });
});

describe('chart and card helpers', () => {
  it('reads the limit of a simple condition, and nothing from a richer one', async () => {
    const { thresholdOf } = await import('./logic.js');
    expect(thresholdOf('result < 0.05')).toBe(0.05);
    expect(thresholdOf('result >= 200')).toBe(200);
    expect(thresholdOf('result < 0.01 && (baseline == null || result <= baseline * 2)')).toBeNull();
    expect(thresholdOf(null)).toBeNull();
  });

  it("shows an author's name without the address", async () => {
    const { authorName } = await import('./logic.js');
    expect(authorName('Ada Lovelace <ada@example.com>')).toBe('Ada Lovelace');
    expect(authorName('<ada@example.com>')).toBe('<ada@example.com>');
  });
});
