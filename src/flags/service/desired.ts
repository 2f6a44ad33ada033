import type { FlowlineConfig } from '../../config/index.js';
import type { FlagDefinition, FlagSetDefinition, MetadataValue } from '../engine/types.js';
import { fromConfig } from '../from-config.js';
import { KILL_ON_ROLLBACK } from './rollback.js';

/**
 * The flag set flowline.yaml wants in one environment, as `flowline flags plan/apply` writes it:
 * `fromConfig`, plus what the server acts on later carried as flag metadata — `killOnRollback`
 * (a failed release kills the flag) and `expires` (stale-flag detection). `temporary` and
 * `owner` are already metadata.
 */
export function desiredFlags(config: FlowlineConfig, environment: string): FlagSetDefinition {
  const set = fromConfig(config, environment);
  const flags: Record<string, FlagDefinition> = {};
  for (const [key, flag] of Object.entries(set.flags)) {
    const source = config.flags[key];
    const extra: Record<string, MetadataValue> = {};
    if (source?.environments[environment]?.killOnRollback === true) extra[KILL_ON_ROLLBACK] = true;
    if (source?.expires !== undefined) extra.expires = source.expires;
    flags[key] =
      Object.keys(extra).length === 0 ? flag : { ...flag, metadata: { ...flag.metadata, ...extra } };
  }
  return { ...set, flags };
}

/** The environments whose flags flowline.yaml manages: the persistent ones (not preview templates). */
export function managedEnvironments(config: FlowlineConfig): string[] {
  return Object.values(config.environments)
    .filter((env) => !env.ephemeral)
    .map((env) => env.name);
}
