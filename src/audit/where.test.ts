import { describe, expect, it } from 'vitest';
import { detectActor, detectCi, detectWhere, type Env } from './index.js';

const github: Env = {
  CI: 'true',
  GITHUB_ACTIONS: 'true',
  GITHUB_RUN_ID: '123',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_ACTOR: 'octocat',
};
const gitlab: Env = {
  CI: 'true',
  GITLAB_CI: 'true',
  CI_PIPELINE_ID: '77',
  CI_PIPELINE_URL: 'https://gitlab.com/acme/shop/-/pipelines/77',
  CI_JOB_URL: 'https://gitlab.com/acme/shop/-/jobs/9',
  GITLAB_USER_LOGIN: 'jane',
};
const jenkins: Env = {
  JENKINS_URL: 'https://ci.acme.io/',
  BUILD_NUMBER: '42',
  BUILD_ID: '42',
  BUILD_URL: 'https://ci.acme.io/job/shop/42/',
};
const circle: Env = {
  CI: 'true',
  CIRCLECI: 'true',
  CIRCLE_WORKFLOW_ID: 'wf-1',
  CIRCLE_BUILD_NUM: '8',
  CIRCLE_BUILD_URL: 'https://circleci.com/gh/acme/shop/8',
  CIRCLE_USERNAME: 'sam',
};
const buildkite: Env = {
  CI: 'true',
  BUILDKITE: 'true',
  BUILDKITE_BUILD_ID: 'bk-1',
  BUILDKITE_BUILD_URL: 'https://buildkite.com/acme/shop/builds/5',
  BUILDKITE_BUILD_CREATOR: 'Kim',
};

describe('detectCi', () => {
  it.each<[string, Env, ReturnType<typeof detectCi>]>([
    ['no CI', { HOME: '/home/a' }, undefined],
    ['CI=false', { CI: 'false' }, undefined],
    [
      'GitHub Actions',
      github,
      { provider: 'github-actions', runId: '123', url: 'https://github.com/acme/shop/actions/runs/123' },
    ],
    [
      'GitHub Enterprise without a trailing-slash issue',
      { ...github, GITHUB_SERVER_URL: 'https://git.acme.io/' },
      { provider: 'github-actions', runId: '123', url: 'https://git.acme.io/acme/shop/actions/runs/123' },
    ],
    ['GitHub Actions without run id', { GITHUB_ACTIONS: 'true' }, { provider: 'github-actions' }],
    [
      'GitLab CI',
      gitlab,
      { provider: 'gitlab', runId: '77', url: 'https://gitlab.com/acme/shop/-/pipelines/77' },
    ],
    [
      'GitLab CI, job URL only',
      { ...gitlab, CI_PIPELINE_URL: undefined },
      { provider: 'gitlab', runId: '77', url: 'https://gitlab.com/acme/shop/-/jobs/9' },
    ],
    ['Jenkins', jenkins, { provider: 'jenkins', runId: '42', url: 'https://ci.acme.io/job/shop/42/' }],
    ['Jenkins with BUILD_ID only', { JENKINS_URL: 'x', BUILD_ID: '7' }, { provider: 'jenkins', runId: '7' }],
    ['CircleCI', circle, { provider: 'circleci', runId: 'wf-1', url: 'https://circleci.com/gh/acme/shop/8' }],
    [
      'CircleCI 2.0 build number',
      { CIRCLECI: 'true', CIRCLE_BUILD_NUM: '8' },
      { provider: 'circleci', runId: '8' },
    ],
    [
      'Buildkite',
      buildkite,
      { provider: 'buildkite', runId: 'bk-1', url: 'https://buildkite.com/acme/shop/builds/5' },
    ],
    ['generic CI=true', { CI: 'true' }, { provider: 'ci' }],
    ['generic CI=1', { CI: '1' }, { provider: 'ci' }],
    [
      'empty values are absent',
      { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: ' ' },
      { provider: 'github-actions' },
    ],
  ])('%s', (_name, env, expected) => {
    expect(detectCi(env)).toEqual(expected);
  });
});

describe('detectActor', () => {
  it.each<[string, Env, string, ReturnType<typeof detectActor>]>([
    ['a laptop', {}, 'alice', { kind: 'user', name: 'alice' }],
    ['GitHub Actions', github, 'runner', { kind: 'ci', name: 'github-actions:octocat' }],
    ['GitLab CI', gitlab, 'root', { kind: 'ci', name: 'gitlab:jane' }],
    [
      'Jenkins with Build User Vars',
      { ...jenkins, BUILD_USER_ID: 'bob' },
      'jenkins',
      { kind: 'ci', name: 'jenkins:bob' },
    ],
    ['Jenkins without', jenkins, 'jenkins', { kind: 'ci', name: 'jenkins' }],
    ['CircleCI', circle, 'circleci', { kind: 'ci', name: 'circleci:sam' }],
    ['Buildkite', buildkite, 'bk', { kind: 'ci', name: 'buildkite:Kim' }],
    ['generic CI', { CI: 'true' }, 'runner', { kind: 'ci', name: 'ci:runner' }],
  ])('%s', (_name, env, osUser, expected) => {
    expect(detectActor(env, osUser)).toEqual(expected);
  });
});

describe('detectWhere', () => {
  it('names the host, and the CI run and commit when known', () => {
    expect(detectWhere({}, 'laptop')).toEqual({ host: 'laptop' });
    expect(detectWhere(gitlab, 'runner-7', 'abc123')).toEqual({
      host: 'runner-7',
      ci: { provider: 'gitlab', runId: '77', url: 'https://gitlab.com/acme/shop/-/pipelines/77' },
      commit: 'abc123',
    });
  });
});
