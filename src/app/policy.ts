import type { Actor, Where } from '../audit/index.js';
import { type FlowlineConfig, parseConfig } from '../config/index.js';
import { FlowlineError } from '../core/errors.js';
import { counted } from '../core/plural.js';
import { type Policies, policyFromConfig, type ServicePolicy } from '../policy/index.js';

/**
 * The service's policy, seeded from `config` (a flowline.yaml text, parsed here) when the
 * service has none yet. Without a policy and without a config to seed one: undefined.
 */
export async function policyFor(
  policies: Policies,
  service: string,
  config: string | FlowlineConfig | undefined,
  by: { readonly actor: Actor; readonly where: Where },
): Promise<ServicePolicy | undefined> {
  const existing = await policies.get(service);
  if (existing !== undefined || config === undefined) return existing;
  const parsed = typeof config === 'string' ? parsedConfig(config) : config;
  if (parsed.service !== service) {
    throw new FlowlineError(
      'FLOWLINE_REQUEST_INVALID',
      `The flowline.yaml sent for ${service} names the service ${parsed.service}.`,
      { hint: 'Run from the repository of that service.', location: { path: 'service' } },
    );
  }
  return policies.ensure(service, () => policyFromConfig(parsed), by);
}

/** The runs' trunk of a service's policy (see RunIntakeDeps.trunkOf). */
export function trunkOf(policies: Policies) {
  return async (
    service: string,
    config: string | FlowlineConfig | undefined,
    by: { readonly actor: Actor; readonly where: Where },
  ): Promise<string | null> => (await policyFor(policies, service, config, by))?.trunk ?? null;
}

function parsedConfig(text: string): FlowlineConfig {
  const result = parseConfig(text, 'flowline.yaml');
  if (result.ok) return result.config;
  throw new FlowlineError(
    'FLOWLINE_CONFIG_INVALID',
    `${counted(result.errors.length, 'problem')} in the flowline.yaml sent`,
    {
      issues: result.errors,
      hint: 'Run `flowline validate` with this Flowline version and fix each problem.',
    },
  );
}
