import path from 'node:path';
import pc from 'picocolors';
import { loadConfigOrThrow } from '../../config/index.js';
import { FlowlineError } from '../../core/errors.js';
import {
  type EnvironmentPolicy,
  type PolicyChange,
  type PolicyDocument,
  policyFromConfig,
  type ServicePolicy,
} from '../../policy/index.js';
import type { Backend } from '../backend/types.js';
import type { CommandContext } from '../context.js';
import { renderTable, writeJson } from '../output.js';
import { serviceOf } from './deploy.js';

/** `flowline env policy`: what the server allows the service, per environment. */
export async function show(ctx: CommandContext): Promise<number | undefined> {
  const service = await serviceOf(ctx);
  const policy = await (await ctx.backend()).policies.get(service);
  if (ctx.json) {
    writeJson(ctx.streams, { policy });
    return undefined;
  }
  ctx.streams.stdout.write(
    `${pc.bold(service)}: policy version ${policy.version}, by ${policy.updatedBy} at ${policy.updatedAt}\n` +
      `trunk: ${policy.trunk ?? '(andon off)'}\n`,
  );
  const rows = Object.entries(policy.environments).map(([name, env]) => ({ name, ...env }));
  ctx.streams.stdout.write(
    `${renderTable(rows, [
      {
        header: 'environment',
        value: (r: (typeof rows)[number]) => r.name + (r.ephemeral ? ' (preview template)' : ''),
      },
      { header: 'protected', value: (r: (typeof rows)[number]) => (r.protected ? 'yes' : 'no') },
      { header: 'after', value: (r: (typeof rows)[number]) => r.after ?? '-' },
      {
        header: 'host',
        value: (r: (typeof rows)[number]) =>
          r.ephemeral ? `<preview>.${service}.localhost` : (r.host ?? `${r.name}.${service}.localhost`),
      },
      { header: 'deploy role', value: (r: (typeof rows)[number]) => r.deployRole },
    ])}\n`,
  );
  return undefined;
}

/** `flowline env policy set <env> …`: changes one environment's policy (admin). */
export async function set(ctx: CommandContext, environment: string): Promise<number | undefined> {
  const service = await serviceOf(ctx);
  const backend = await ctx.backend();
  const current = await backend.policies.get(service);
  const env = current.environments[environment];
  if (env === undefined) {
    throw new FlowlineError(
      'FLOWLINE_POLICY_UNKNOWN_ENVIRONMENT',
      `The policy of ${service} has no environment ${environment}.`,
      {
        hint: 'Add it to flowline.yaml and run `flowline config apply`.',
      },
    );
  }
  const next: EnvironmentPolicy = { ...env, ...changesFrom(ctx.options) };
  const document: PolicyDocument = {
    trunk: current.trunk,
    environments: { ...current.environments, [environment]: next },
  };
  const { policy, changes } = await backend.policies.apply(service, document, current.version);
  report(ctx, policy, changes);
  return undefined;
}

/** `flowline config plan`: what applying flowline.yaml's policy would change on the server. */
export async function plan(ctx: CommandContext): Promise<number | undefined> {
  const { service, document } = await fromFile(ctx);
  const backend = await ctx.backend();
  const { current, changes } = await backend.policies.plan(
    service,
    withRoles(document, await currentOf(backend, service)),
  );
  if (ctx.json) {
    writeJson(ctx.streams, { service, version: current?.version ?? null, changes });
    return undefined;
  }
  if (changes.length === 0) {
    ctx.streams.stdout.write(`${pc.green('✔')} the policy of ${service} already matches flowline.yaml\n`);
    return undefined;
  }
  ctx.streams.stdout.write(
    `${current === null ? 'a new policy' : `policy version ${current.version}`} of ${service}:\n${renderChanges(changes)}`,
  );
  ctx.streams.stdout.write(pc.dim('apply with `flowline config apply` (admin)\n'));
  return undefined;
}

/** `flowline config apply`: makes flowline.yaml's policy the server's (admin; audited with the diff). */
export async function apply(ctx: CommandContext): Promise<number | undefined> {
  const { service, document } = await fromFile(ctx);
  const backend = await ctx.backend();
  const current = await currentOf(backend, service);
  const { policy, changes } = await backend.policies.apply(
    service,
    withRoles(document, current),
    current?.version ?? 0,
  );
  report(ctx, policy, changes);
  return undefined;
}

/** The server's policy of the service, or undefined before it has one. */
async function currentOf(backend: Backend, service: string): Promise<ServicePolicy | undefined> {
  return backend.policies.get(service).catch((error: unknown) => {
    if (error instanceof FlowlineError && error.code === 'FLOWLINE_NOT_FOUND') return undefined;
    throw error;
  });
}

function report(ctx: CommandContext, policy: ServicePolicy, changes: readonly PolicyChange[]): void {
  if (ctx.json) {
    writeJson(ctx.streams, { policy, changes });
    return;
  }
  if (changes.length === 0) {
    ctx.streams.stdout.write(`${pc.green('✔')} nothing to change: policy version ${policy.version}\n`);
    return;
  }
  ctx.streams.stdout.write(
    `${renderChanges(changes)}${pc.green('✔')} ${policy.service}: policy version ${policy.version}\n`,
  );
}

function renderChanges(changes: readonly PolicyChange[]): string {
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  return changes.map((c) => `  ${c.path}: ${show(c.from)} → ${show(c.to)}\n`).join('');
}

/** The policy flowline.yaml asks for; who may deploy is kept from the server's policy. */
async function fromFile(ctx: CommandContext): Promise<{ service: string; document: PolicyDocument }> {
  const file = String(ctx.options.config ?? 'flowline.yaml');
  const config = await loadConfigOrThrow(path.resolve(ctx.settings.cwd, file), file);
  return { service: config.service, document: policyFromConfig(config) };
}

function withRoles(document: PolicyDocument, current: ServicePolicy | undefined): PolicyDocument {
  if (current === undefined) return document;
  const environments: Record<string, EnvironmentPolicy> = {};
  for (const [name, env] of Object.entries(document.environments)) {
    environments[name] = { ...env, deployRole: current.environments[name]?.deployRole ?? env.deployRole };
  }
  return { ...document, environments };
}

/** The fields `env policy set` changes, from its options. */
function changesFrom(options: Record<string, unknown>): Partial<EnvironmentPolicy> {
  const out: { -readonly [K in keyof EnvironmentPolicy]?: EnvironmentPolicy[K] } = {};
  if (typeof options.protected === 'boolean') out.protected = options.protected;
  if (options.after === false) out.after = null;
  else if (typeof options.after === 'string') out.after = options.after;
  if (options.host === false) out.host = null;
  else if (typeof options.host === 'string') out.host = options.host.toLowerCase();
  if (options.deployRole !== undefined) {
    const role = String(options.deployRole);
    if (role !== 'deploy' && role !== 'admin') {
      throw new FlowlineError('FLOWLINE_USAGE', `--deploy-role \`${role}\` is not deploy or admin.`, {
        hint: 'e.g. --deploy-role admin (only admins deploy there)',
      });
    }
    out.deployRole = role;
  }
  if (Object.keys(out).length === 0) {
    throw new FlowlineError('FLOWLINE_USAGE', 'Nothing to change.', {
      hint: 'Give --protected / --no-protected, --after <env> / --no-after, --host <name> / --no-host, or --deploy-role deploy|admin.',
    });
  }
  return out;
}
