import { readSealedConfig } from '../artifacts/index.js';
import type { Catalog } from '../catalog/index.js';
import { type FlowlineConfig, parseConfig } from '../config/index.js';
import type { Policies } from '../policy/index.js';

export interface ConfigDriftDeps {
  readonly catalog: Pick<Catalog, 'listRuns'>;
  readonly policies: Pick<Policies, 'get'>;
  /** Where a stored artifact's files are (undefined: not stored here). */
  readonly artifactPath: (digest: string) => Promise<string | undefined>;
}

/** The newest trunk build of a service: what the repo's flowline.yaml says now, as the server knows it. */
interface TrunkConfig {
  readonly branch: string;
  readonly commit: string | null;
  readonly artifact: string;
  readonly config: FlowlineConfig;
}

/**
 * Finds where the config an environment runs with differs from the one the repo's trunk says.
 * The server never reads a repository: the flowline.yaml sealed in the newest artifact a
 * succeeded trunk run built is the repo's word, and the one sealed in the live artifact is what
 * runs (docs/adr/0010-trust-model.md). Answers a short phrase naming the parts that differ
 * (`run`, `environments.production`, `analysis`), or undefined when they agree or either is
 * unknown. One finder per status request: each service's trunk config is read once.
 */
export function configDriftFinder(deps: ConfigDriftDeps) {
  const trunks = new Map<string, Promise<TrunkConfig | undefined>>();
  const configs = new Map<string, Promise<FlowlineConfig | undefined>>();

  const configOf = (artifact: string) => {
    let known = configs.get(artifact);
    if (known === undefined) {
      known = (async () => {
        const dir = await deps.artifactPath(artifact);
        const text = dir === undefined ? undefined : await readSealedConfig(dir);
        if (text === undefined) return undefined;
        const parsed = parseConfig(text, 'flowline.yaml');
        return parsed.ok ? parsed.config : undefined;
      })();
      configs.set(artifact, known);
    }
    return known;
  };

  const trunkOf = (service: string) => {
    let known = trunks.get(service);
    if (known === undefined) {
      known = (async () => {
        const branch = (await deps.policies.get(service))?.trunk;
        if (branch === undefined || branch === null) return undefined;
        // Asked of the store by branch and status, not read from every branch's latest runs.
        const runs = await deps.catalog.listRuns({ service, branch, status: 'succeeded', limit: 50 });
        const run = runs.find(
          (r) => r.branch === branch && r.status === 'succeeded' && r.artifactId !== null,
        );
        if (run?.artifactId == null) return undefined;
        const config = await configOf(run.artifactId);
        return config === undefined
          ? undefined
          : { branch, commit: run.commitSha, artifact: run.artifactId, config };
      })();
      trunks.set(service, known);
    }
    return known;
  };

  return async (service: string, environment: string, liveArtifact: string): Promise<string | undefined> => {
    const trunk = await trunkOf(service);
    if (trunk === undefined || trunk.artifact === liveArtifact) return undefined;
    const live = await configOf(liveArtifact);
    if (live === undefined) return undefined;
    const parts = differingParts(live, trunk.config, environment);
    if (parts.length === 0) return undefined;
    const at = trunk.commit === null ? '' : ` (${trunk.commit.slice(0, 7)})`;
    return `flowline.yaml on ${trunk.branch}${at} differs: ${parts.join(', ')}`;
  };
}

/** The parts of two configs that decide how `environment` runs, named where they differ. */
export function differingParts(live: FlowlineConfig, trunk: FlowlineConfig, environment: string): string[] {
  const parts: [string, unknown, unknown][] = [
    ['run', live.run, trunk.run],
    [`environments.${environment}`, live.environments[environment], trunk.environments[environment]],
    ['analysis', live.analysis, trunk.analysis],
  ];
  return parts.filter(([, a, b]) => JSON.stringify(a) !== JSON.stringify(b)).map(([name]) => name);
}
