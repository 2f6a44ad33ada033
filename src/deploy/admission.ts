import { createHash } from 'node:crypto';
import { readSealedConfig } from '../artifacts/index.js';
import type { Environment as EnvRecord } from '../catalog/index.js';
import { type Environment, type FlowlineConfig, parseConfig } from '../config/index.js';
import { FlowlineError } from '../core/errors.js';
import { counted } from '../core/plural.js';
import {
  diffPolicy,
  type EnvironmentPolicy,
  effectiveHost,
  policyFromConfig,
  type ServicePolicy,
} from '../policy/index.js';
import type { DeployControllerDeps, DeployRequest } from './deps.js';
import { checkGates, resolveArtifact } from './gates.js';
import { short } from './plan.js';

type Deps = Pick<
  DeployControllerDeps,
  'catalog' | 'records' | 'assertTrunkGreen' | 'artifactPath' | 'policies' | 'authorize' | 'secrets'
>;

/** What a deploy was admitted to do: the artifact and how it runs, where, under which policy. */
export interface Admission {
  readonly artifact: string;
  /** The artifact's folder in the store. */
  readonly workdir: string;
  /** The flowline.yaml sealed in the artifact: how it runs. */
  readonly config: FlowlineConfig;
  /** sha256 (hex) of that file's text, so a client can tell it from the file it has. */
  readonly configSha256: string;
  /** The artifact config's definition of the environment (a preview's: its template). */
  readonly env: Environment;
  /** The server's policy of the environment (a preview's: its template's). */
  readonly policy: EnvironmentPolicy;
  readonly record: EnvRecord & { readonly serviceId: string };
  readonly host: string;
  /** The environment whose secrets the instances receive. */
  readonly secretScope: string;
  /** Where the artifact's flowline.yaml and the server's policy disagree (the policy applies). */
  readonly notes: readonly string[];
}

/**
 * Decides whether a deploy may happen, from the server's state alone (docs/adr/0010-trust-model.md):
 * the artifact's sealed config says how it runs; the service's policy says whether the caller's
 * role may deploy here and which gates apply (green trunk, proven in the predecessor); the host
 * must be the environment's own; every secret the artifact names must be set. Nothing the
 * request carries can change any of it.
 */
export async function admit(deps: Deps, request: DeployRequest): Promise<Admission> {
  const { service, environment } = request;
  const known = await deps.policies.get(service);
  const record = await deps.catalog.findEnvironment(service, environment);
  const preview = record?.kind === 'ephemeral';
  const after = known?.environments[environment]?.after ?? undefined;
  const artifact = await resolveArtifact(deps, service, request.artifact, preview ? undefined : after);
  const workdir = await deps.artifactPath(artifact);
  if (workdir === undefined) {
    throw new FlowlineError(
      'FLOWLINE_ARTIFACT_NOT_FOUND',
      `Artifact ${artifact} is recorded but not in the artifact store.`,
      {
        hint: 'It was garbage-collected or the store was moved; run `flowline run` to build it again.',
      },
    );
  }
  const { config, sha256: configSha256 } = await sealedConfig(workdir, artifact, service);
  // A service deployed before any run was recorded: its first artifact's config seeds the policy.
  const policy =
    known ?? (await deps.policies.ensure(service, () => policyFromConfig(config), seedBy(request)));
  const template = preview ? previewPolicy(policy, environment) : undefined;
  const envPolicy = template?.policy ?? deps.policies.environment(policy, environment);
  if (!preview && envPolicy.ephemeral) {
    throw new FlowlineError(
      'FLOWLINE_DEPLOY_UNKNOWN_ENVIRONMENT',
      `\`${environment}\` is a preview template, not an environment.`,
      {
        hint: 'Create a preview from it with `flowline env create --branch <branch>` (or `--pr <n>`).',
      },
    );
  }
  deps.authorize(request.principal, envPolicy.deployRole, environment);
  const notes = disagreements(policy, config);
  try {
    await checkGates(deps, service, environment, artifact, envPolicy);
  } catch (error) {
    throw withNotes(error, notes);
  }

  const env = preview ? previewEnvironment(config, artifact) : declared(config, environment, artifact);
  const host = preview
    ? `${environment}.${service}.localhost`
    : effectiveHost(service, environment, envPolicy);
  const ensured = record ?? (await deps.catalog.ensureEnvironment(service, environment, 'persistent'));
  const serviceId = (await deps.catalog.getService(service)).id;
  await checkHostOwner(deps, host, ensured.id, `${service}/${environment}`);
  const secretScope = template?.name ?? environment;
  await deps.secrets.resolve(service, secretScope, config.secrets);
  return {
    artifact,
    workdir,
    config,
    configSha256,
    env,
    policy: envPolicy,
    record: { ...ensured, serviceId },
    host,
    secretScope,
    notes,
  };
}

function seedBy(request: DeployRequest) {
  return { actor: request.principal.actor, where: request.where };
}

/** The config sealed in the artifact, parsed and checked to be the service's, and its text's sha256. */
export async function sealedConfig(
  workdir: string,
  artifact: string,
  service: string,
): Promise<{ config: FlowlineConfig; sha256: string }> {
  const text = await readSealedConfig(workdir);
  if (text === undefined) {
    throw new FlowlineError(
      'FLOWLINE_ARTIFACT_NO_CONFIG',
      `Artifact ${short(artifact)} carries no flowline.yaml, so Flowline cannot tell how to run it.`,
      {
        hint: 'It was built by an older Flowline: build it again with `flowline run`.',
      },
    );
  }
  const shown = `flowline.yaml (sealed in ${short(artifact)})`;
  const parsed = parseConfig(text, shown);
  if (!parsed.ok) {
    throw new FlowlineError(
      'FLOWLINE_CONFIG_INVALID',
      `${counted(parsed.errors.length, 'problem')} in ${shown}`,
      {
        issues: parsed.errors,
        hint: 'This Flowline reads that file differently from the one that built it: fix flowline.yaml and build again.',
      },
    );
  }
  if (parsed.config.service !== service) {
    throw new FlowlineError(
      'FLOWLINE_REQUEST_INVALID',
      `Artifact ${short(artifact)} was built for ${parsed.config.service}, not ${service}.`,
      {
        hint: `Deploy an artifact of ${service} (flowline artifacts --service ${service}).`,
      },
    );
  }
  return { config: parsed.config, sha256: createHash('sha256').update(text).digest('hex') };
}

/** The policy previews are made from: the policy's first ephemeral environment. */
export function previewPolicy(
  policy: ServicePolicy,
  preview: string,
): { name: string; policy: EnvironmentPolicy } {
  const found = Object.entries(policy.environments).find(([, env]) => env.ephemeral);
  if (found === undefined) {
    throw new FlowlineError(
      'FLOWLINE_ENV_NO_TEMPLATE',
      `The policy of ${policy.service} has no preview template to deploy ${preview} by.`,
      {
        hint: 'An admin adds one (an environment with `ephemeral: true`) with `flowline config apply`.',
      },
    );
  }
  return { name: found[0], policy: found[1] };
}

/** The preview template of an artifact's flowline.yaml (its first environment marked ephemeral). */
export function previewEnvironment(config: FlowlineConfig, artifact: string): Environment {
  const template = Object.values(config.environments).find((e) => e.ephemeral);
  if (template !== undefined) return template;
  throw new FlowlineError(
    'FLOWLINE_ENV_NO_TEMPLATE',
    `The flowline.yaml sealed in ${short(artifact)} has no environment marked \`ephemeral: true\`.`,
    {
      hint: 'Add a preview template to flowline.yaml and build again.',
    },
  );
}

function declared(config: FlowlineConfig, environment: string, artifact: string): Environment {
  const env = config.environments[environment];
  if (env !== undefined && !env.ephemeral) return env;
  throw new FlowlineError(
    'FLOWLINE_DEPLOY_UNKNOWN_ENVIRONMENT',
    `The flowline.yaml sealed in ${short(artifact)} does not say how to run ${config.service} in ${environment}.`,
    {
      hint: `Add environments.${environment} to flowline.yaml and build again, or deploy a newer artifact.`,
      location: { path: `environments.${environment}` },
    },
  );
}

/** A host serves one environment: a route held by another refuses the deploy. */
async function checkHostOwner(
  deps: Pick<Deps, 'records'>,
  host: string,
  environmentId: string,
  who: string,
): Promise<void> {
  const owner = (await deps.records.routes()).find((r) => r.host === host);
  if (owner !== undefined && owner.environmentId !== environmentId) {
    throw new FlowlineError(
      'FLOWLINE_POLICY_CONFLICT',
      `The host ${host} already serves ${owner.target.service}/${owner.target.environment}; ${who} cannot take it.`,
      {
        hint: 'An admin gives this environment another host: `flowline env policy set <env> --host <name>`.',
      },
    );
  }
}

/** A gate's refusal, saying too where the artifact's flowline.yaml would have had it otherwise. */
function withNotes(error: unknown, notes: readonly string[]): unknown {
  if (!(error instanceof FlowlineError) || notes.length === 0) return error;
  return new FlowlineError(error.code, error.message, {
    hint: [error.hint, ...notes].filter((line) => line !== undefined).join('\n'),
    cause: error,
  });
}

/** One line per field where the artifact's flowline.yaml asks for something the policy does not say. */
function disagreements(policy: ServicePolicy, config: FlowlineConfig): string[] {
  return diffPolicy(policy, policyFromConfig(config, policy)).map(
    (c) =>
      `the artifact's flowline.yaml says ${c.path} = ${JSON.stringify(c.to) ?? 'nothing'}; the server's policy (${JSON.stringify(c.from) ?? 'nothing'}) applies until an admin runs \`flowline config apply\``,
  );
}
