import type { Environment, FlowlineConfig } from '../config/index.js';
import { FlowlineError } from '../core/errors.js';
import type { RevisionSpec } from './ports.js';

/** The host the router serves an environment on: `staging.hello.localhost`, `pr-12.hello.localhost`. */
export function hostOf(service: string, environment: string, env?: Pick<Environment, 'host'>): string {
  return (env?.host ?? `${environment}.${service}.localhost`).toLowerCase();
}

/**
 * The environment definition that applies to `name`: the one of that name in flowline.yaml,
 * or for a preview created with `flowline env create` (kind ephemeral), the ephemeral template.
 */
export function environmentConfig(
  config: FlowlineConfig,
  name: string,
  kind?: 'persistent' | 'ephemeral',
): Environment {
  const direct = config.environments[name];
  if (direct !== undefined && !direct.ephemeral) return direct;
  if (kind === 'ephemeral' || direct?.ephemeral) {
    const template = direct ?? Object.values(config.environments).find((e) => e.ephemeral);
    if (template !== undefined) return template;
  }
  const known = Object.keys(config.environments).filter((n) => !config.environments[n]?.ephemeral);
  throw new FlowlineError(
    'FLOWLINE_DEPLOY_UNKNOWN_ENVIRONMENT',
    `Service ${config.service} has no environment \`${name}\`.`,
    {
      hint:
        known.length > 0
          ? `Deploy to one of ${known.join(', ')}, or create a preview with \`flowline env create --branch <b>\`.`
          : 'Declare environments in flowline.yaml.',
      location: { path: `environments.${name}` },
    },
  );
}

/**
 * A short, unique, readable revision name: `<digest8>-<random4>`. The runtime prefixes it with
 * service and environment for its instance names (`hello-staging-3f2a9c1d-k2x9-1`).
 */
export function revisionName(artifact: string, nonce: string): string {
  const digest = artifact.replace(/^sha256:/, '').slice(0, 8);
  return `${digest}-${nonce.slice(-4)}`;
}

/** A digest as shown to people: its first 12 hex digits, without `sha256:`. */
export function short(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** Builds what the runtime needs to start a revision of `artifact` in an environment. */
export function revisionSpec(input: {
  config: FlowlineConfig;
  environment: string;
  env: Environment;
  revision: string;
  artifact: string;
  workdir: string;
  /** The environment whose secret store the instances' secrets come from (a preview's template). */
  secretScope: string;
}): RevisionSpec {
  const run = input.config.run;
  if (run === undefined) {
    throw new FlowlineError(
      'FLOWLINE_CONFIG_INVALID',
      `Service ${input.config.service} has no \`run\` section.`,
      {
        hint: 'Add `run: { command, port, health }` to flowline.yaml so Flowline knows how to start it.',
        location: { path: 'run' },
      },
    );
  }
  return {
    service: input.config.service,
    environment: input.environment,
    revision: input.revision,
    workdir: input.workdir,
    subdir: run.workdir,
    artifact: input.artifact,
    command: run.command,
    portEnv: run.port.env,
    instances: input.env.instances,
    env: { ...input.env.env },
    secrets: { environment: input.secretScope, names: [...input.config.secrets] },
    health: { ...run.health },
    shutdown: { ...run.shutdown },
  };
}
