import { describe, expect, it } from 'vitest';
import { branchOf, stepEnvironment } from './environment.js';

describe('stepEnvironment', () => {
  it('passes only PATH, HOME, LANG, TMPDIR, declared secrets and declared variables', () => {
    const env = stepEnvironment({
      invoking: {
        PATH: '/bin',
        HOME: '/home/a',
        LANG: 'C',
        AWS_SECRET_ACCESS_KEY: 'leak',
        NPM_TOKEN: 'tok',
        USER: 'a',
      },
      secrets: ['NPM_TOKEN', 'UNSET_SECRET'],
      declared: [{ A: '1', B: '1' }, { B: '2' }],
      flowline: { FLOWLINE_STAGE: 'unit', FLOWLINE_ARTIFACT: undefined },
    });
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/home/a',
      LANG: 'C',
      CI: 'true',
      NPM_TOKEN: 'tok',
      A: '1',
      B: '2',
      FLOWLINE_STAGE: 'unit',
    });
  });

  it("lets the run's FLOWLINE_* facts win over declared variables, and gives a PATH when there is none", () => {
    const env = stepEnvironment({
      invoking: {},
      secrets: [],
      declared: [{ FLOWLINE_RUN_ID: 'spoofed', CI: 'false' }],
      flowline: { FLOWLINE_RUN_ID: 'run_1' },
    });
    expect(env.FLOWLINE_RUN_ID).toBe('run_1');
    expect(env.CI).toBe('false');
    expect(env.PATH).toContain('/usr/bin');
  });
});

describe('branchOf', () => {
  it("prefers git's branch, and reads the CI's on a detached HEAD", () => {
    expect(branchOf('main', { GITHUB_ACTIONS: 'true', GITHUB_REF: 'refs/heads/other' })).toBe('main');
    expect(branchOf(null, { GITHUB_ACTIONS: 'true', GITHUB_REF: 'refs/heads/main' })).toBe('main');
    expect(branchOf(null, { GITLAB_CI: 'true', CI_COMMIT_BRANCH: 'trunk' })).toBe('trunk');
    expect(branchOf(null, { BUILDKITE_BRANCH: 'main', BUILDKITE_PULL_REQUEST: 'false' })).toBe('main');
  });

  it('never takes a pull-request ref for a branch', () => {
    expect(branchOf(null, { GITHUB_ACTIONS: 'true', GITHUB_REF: 'refs/pull/12/merge' })).toBeNull();
    expect(branchOf(null, { CIRCLE_BRANCH: 'main', CIRCLE_PULL_REQUEST: 'https://x/pull/3' })).toBeNull();
    expect(branchOf(null, { BRANCH_NAME: 'PR-3', CHANGE_ID: '3' })).toBeNull();
    expect(branchOf(undefined, {})).toBeNull();
  });
});
