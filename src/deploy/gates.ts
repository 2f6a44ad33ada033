import { FlowlineError } from '../core/errors.js';
import type { DeployControllerDeps } from './deps.js';
import { short } from './plan.js';

type Deps = Pick<DeployControllerDeps, 'catalog' | 'records' | 'assertTrunkGreen'>;

/**
 * The artifact a deploy ships: `wanted` (a digest or an unambiguous prefix), else what runs live
 * in the predecessor `after`, else the newest artifact of the service.
 */
export async function resolveArtifact(
  deps: Pick<Deps, 'catalog' | 'records'>,
  service: string,
  wanted: string | undefined,
  after: string | undefined,
): Promise<string> {
  const artifacts = await deps.catalog.listArtifacts({ service, limit: 1000 });
  if (wanted !== undefined) {
    const needle = wanted.startsWith('sha256:') ? wanted : `sha256:${wanted}`;
    const matches = artifacts.filter((a) => a.id.startsWith(needle));
    if (matches.length === 1 && matches[0] !== undefined) return matches[0].id;
    throw new FlowlineError(
      matches.length === 0 ? 'FLOWLINE_ARTIFACT_NOT_FOUND' : 'FLOWLINE_USAGE',
      matches.length === 0
        ? `No artifact of ${service} matches \`${wanted}\`.`
        : `\`${wanted}\` matches ${matches.length} artifacts.`,
      {
        hint: `List them with \`flowline artifacts --service ${service}\` and give more of the digest.`,
      },
    );
  }
  if (after !== undefined) {
    const record = await deps.catalog.findEnvironment(service, after);
    const live = record && (await deps.records.revisions({ environmentId: record.id, states: ['live'] }))[0];
    if (live !== undefined) return live.artifactId;
  }
  const newest = artifacts[0];
  if (newest === undefined) {
    throw new FlowlineError('FLOWLINE_ARTIFACT_NOT_FOUND', `Service ${service} has no artifact yet.`, {
      hint: 'Build one with `flowline run`.',
    });
  }
  return newest.id;
}

/**
 * The gates before a deploy: a protected environment needs a green trunk, and an environment
 * with a predecessor takes only artifacts that succeeded there.
 */
export async function checkGates(
  deps: Deps,
  service: string,
  environment: string,
  artifact: string,
  env: { readonly protected: boolean; readonly after?: string | null | undefined },
): Promise<void> {
  if (env.protected) await deps.assertTrunkGreen(service);
  if (env.after !== undefined && env.after !== null) {
    const proven = await deps.catalog.listDeployments({
      service,
      environment: env.after,
      limit: 1000,
    });
    if (!proven.some((d) => d.artifactId === artifact && d.status === 'succeeded')) {
      throw new FlowlineError(
        'FLOWLINE_DEPLOY_GATE',
        `${environment} takes only artifacts that succeeded in ${env.after}; ${short(artifact)} has not.`,
        {
          hint: `Deploy it to ${env.after} first: flowline deploy ${env.after} --artifact ${short(artifact)}`,
        },
      );
    }
  }
}
