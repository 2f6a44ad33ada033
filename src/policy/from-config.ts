import type { FlowlineConfig } from '../config/index.js';
import type { EnvironmentPolicy, PolicyChange, PolicyDocument } from './types.js';

/**
 * The policy a flowline.yaml asks for: the seed of a new service, and what `flowline config
 * plan|apply` compares against. `deployRole` is not in flowline.yaml (who may deploy is the
 * server's business): a new environment gets `deploy`, an existing one keeps what it has.
 */
export function policyFromConfig(
  config: Pick<FlowlineConfig, 'pipeline' | 'environments'>,
  current?: PolicyDocument,
): PolicyDocument {
  const environments: Record<string, EnvironmentPolicy> = {};
  for (const [name, env] of Object.entries(config.environments)) {
    environments[name] = {
      protected: env.protected,
      after: env.after ?? null,
      host: env.host?.toLowerCase() ?? null,
      ephemeral: env.ephemeral,
      deployRole: current?.environments[name]?.deployRole ?? 'deploy',
    };
  }
  return { trunk: config.pipeline.andon ? config.pipeline.trunk : null, environments };
}

/** Field-by-field difference, in a stable order (trunk, then environments by name). */
export function diffPolicy(from: PolicyDocument | undefined, to: PolicyDocument): PolicyChange[] {
  const changes: PolicyChange[] = [];
  if (from === undefined || from.trunk !== to.trunk)
    changes.push({ path: 'trunk', from: from?.trunk, to: to.trunk });
  const names = [
    ...new Set([...Object.keys(from?.environments ?? {}), ...Object.keys(to.environments)]),
  ].sort();
  for (const name of names) {
    const a = from?.environments[name];
    const b = to.environments[name];
    if (a === undefined || b === undefined) {
      changes.push({ path: `environments.${name}`, from: a, to: b });
      continue;
    }
    for (const key of ['protected', 'after', 'host', 'ephemeral', 'deployRole'] as const) {
      if (a[key] !== b[key]) changes.push({ path: `environments.${name}.${key}`, from: a[key], to: b[key] });
    }
  }
  return changes;
}

/** The host an environment is served on, as the router knows it. */
export function effectiveHost(
  service: string,
  environment: string,
  policy: Pick<EnvironmentPolicy, 'host'>,
): string {
  return (policy.host ?? `${environment}.${service}.localhost`).toLowerCase();
}
