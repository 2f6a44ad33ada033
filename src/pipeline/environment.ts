import type { Env } from '../audit/index.js';

/** Variables passed through from the invoking environment; nothing else leaks into a step. */
export const PASSED_THROUGH = ['PATH', 'HOME', 'LANG', 'TMPDIR'] as const;

/** A conservative PATH when the invoking environment has none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface StepEnvInput {
  /** The environment Flowline was started with: the source of PATH, HOME, … and secret values. */
  readonly invoking: Env;
  /** Names from `secrets:`; their values are copied from `invoking` when set. */
  readonly secrets: readonly string[];
  /** Declared variables, in increasing precedence: e.g. the build's `env`, the stage's, the step's. */
  readonly declared: readonly Readonly<Record<string, string>>[];
  /** `FLOWLINE_*` facts of the run; they win over everything declared. */
  readonly flowline: Readonly<Record<string, string | undefined>>;
}

/**
 * The clean environment of a step: PATH, HOME, LANG, TMPDIR, `CI=true`, the declared secrets,
 * the declared variables and the run's `FLOWLINE_*` facts. A developer's shell variables (cloud
 * credentials, tokens) never reach a step unless declared, so a pipeline behaves the same on a
 * laptop and in CI.
 */
export function stepEnvironment(input: StepEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = input.invoking[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH ??= DEFAULT_PATH;
  env.CI = 'true';
  for (const name of input.secrets) {
    // Flowline's own credentials (FLOWLINE_TOKEN, the secret key) never reach a step, named or not.
    if (name.startsWith('FLOWLINE_')) continue;
    const value = input.invoking[name];
    if (value !== undefined) env[name] = value;
  }
  for (const vars of input.declared) Object.assign(env, vars);
  for (const [name, value] of Object.entries(input.flowline)) if (value !== undefined) env[name] = value;
  return env;
}

/** Values of the given variables in the invoking environment (for the cache key of `build.env`). */
export function pick(env: Env, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * The branch a run is on: git's, else what the CI says (CI checkouts are often a detached HEAD).
 * Pull-request refs are not branches: a PR run never counts as a trunk run.
 */
export function branchOf(gitBranch: string | null | undefined, env: Env): string | null {
  if (gitBranch) return gitBranch;
  const get = (name: string) => env[name]?.trim() || undefined;
  if (env.GITHUB_ACTIONS !== undefined) {
    const ref = get('GITHUB_REF');
    return ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
  }
  return (
    get('CI_COMMIT_BRANCH') ?? // GitLab (unset in merge-request pipelines)
    (get('CHANGE_ID') === undefined ? get('BRANCH_NAME') : undefined) ?? // Jenkins multibranch
    (get('CIRCLE_PULL_REQUEST') === undefined ? get('CIRCLE_BRANCH') : undefined) ??
    (get('BUILDKITE_PULL_REQUEST') === undefined || get('BUILDKITE_PULL_REQUEST') === 'false'
      ? get('BUILDKITE_BRANCH')
      : undefined) ??
    null
  );
}
