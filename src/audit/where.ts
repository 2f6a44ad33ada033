import type { Actor, Where } from './types.js';

/** The process environment as passed in; these functions never read `process.env` themselves. */
export type Env = Readonly<Record<string, string | undefined>>;

export type CiInfo = NonNullable<Where['ci']>;

interface Provider {
  readonly provider: string;
  readonly detect: (env: Env) => boolean;
  readonly runId: (env: Env) => string | undefined;
  readonly url: (env: Env) => string | undefined;
  /** The person or bot that started the run, when the CI says. */
  readonly user: (env: Env) => string | undefined;
}

const isTrue = (value: string | undefined) => value !== undefined && /^(true|1|yes)$/i.test(value.trim());
const get = (env: Env, key: string) => {
  const value = env[key]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

/** Checked in order; the generic `CI=true` last, since every provider also sets it. */
const PROVIDERS: readonly Provider[] = [
  {
    provider: 'github-actions',
    detect: (env) => isTrue(env.GITHUB_ACTIONS),
    runId: (env) => get(env, 'GITHUB_RUN_ID'),
    url: (env) => {
      const repo = get(env, 'GITHUB_REPOSITORY');
      const run = get(env, 'GITHUB_RUN_ID');
      const server = get(env, 'GITHUB_SERVER_URL') ?? 'https://github.com';
      return repo && run ? `${server.replace(/\/+$/, '')}/${repo}/actions/runs/${run}` : undefined;
    },
    user: (env) => get(env, 'GITHUB_ACTOR'),
  },
  {
    provider: 'gitlab',
    detect: (env) => isTrue(env.GITLAB_CI),
    runId: (env) => get(env, 'CI_PIPELINE_ID'),
    url: (env) => get(env, 'CI_PIPELINE_URL') ?? get(env, 'CI_JOB_URL'),
    user: (env) => get(env, 'GITLAB_USER_LOGIN'),
  },
  {
    provider: 'jenkins',
    detect: (env) => get(env, 'JENKINS_URL') !== undefined,
    runId: (env) => get(env, 'BUILD_NUMBER') ?? get(env, 'BUILD_ID'),
    url: (env) => get(env, 'BUILD_URL'),
    // Set by the Build User Vars plugin; plain Jenkins does not say who started a build.
    user: (env) => get(env, 'BUILD_USER_ID'),
  },
  {
    provider: 'circleci',
    detect: (env) => isTrue(env.CIRCLECI),
    runId: (env) => get(env, 'CIRCLE_WORKFLOW_ID') ?? get(env, 'CIRCLE_BUILD_NUM'),
    url: (env) => get(env, 'CIRCLE_BUILD_URL'),
    user: (env) => get(env, 'CIRCLE_USERNAME'),
  },
  {
    provider: 'buildkite',
    detect: (env) => isTrue(env.BUILDKITE),
    runId: (env) => get(env, 'BUILDKITE_BUILD_ID'),
    url: (env) => get(env, 'BUILDKITE_BUILD_URL'),
    user: (env) => get(env, 'BUILDKITE_BUILD_CREATOR'),
  },
  {
    provider: 'ci',
    detect: (env) => isTrue(env.CI),
    runId: () => undefined,
    url: () => undefined,
    user: () => undefined,
  },
];

function providerOf(env: Env): Provider | undefined {
  return PROVIDERS.find((p) => p.detect(env));
}

/** The CI system this process runs in (provider, run id, run URL), or `undefined` outside CI. */
export function detectCi(env: Env): CiInfo | undefined {
  const p = providerOf(env);
  if (p === undefined) return undefined;
  const runId = p.runId(env);
  const url = p.url(env);
  return {
    provider: p.provider,
    ...(runId === undefined ? {} : { runId }),
    ...(url === undefined ? {} : { url }),
  };
}

/** Where an action happens: this host, the CI run if any, and the commit if known. */
export function detectWhere(env: Env, hostname: string, commit?: string): Where {
  const ci = detectCi(env);
  return { host: hostname, ...(ci === undefined ? {} : { ci }), ...(commit ? { commit } : {}) };
}

/**
 * Who acts when Flowline runs without a token: in CI, the CI identity
 * (`github-actions:octocat`, `gitlab:jane`, `jenkins:bob`; just the provider when it does not
 * say who started the run); elsewhere the OS user.
 */
export function detectActor(env: Env, osUser: string): Actor {
  const p = providerOf(env);
  if (p === undefined) return { kind: 'user', name: osUser };
  if (p.provider === 'ci') return { kind: 'ci', name: `ci:${osUser}` };
  const user = p.user(env);
  return { kind: 'ci', name: user === undefined ? p.provider : `${p.provider}:${user}` };
}
