import { z } from 'zod';
import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import type { Store, WriteTx } from '../store/index.js';
import { diffPolicy, effectiveHost } from './from-config.js';
import type { EnvironmentPolicy, Policies, PolicyChangeBy, PolicyDocument, ServicePolicy } from './types.js';

export interface PoliciesDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

const EnvironmentSchema = z.strictObject({
  protected: z.boolean(),
  after: z.string().nullable(),
  host: z.string().nullable(),
  ephemeral: z.boolean(),
  deployRole: z.enum(['deploy', 'admin']),
});
const DocumentSchema = z.strictObject({
  trunk: z.string().nullable(),
  environments: z.record(z.string(), EnvironmentSchema),
});

type Db = Store['db'] | WriteTx;

/** A policy whose `after` names an environment it lacks (or a preview template, or itself) is refused. */
function checkDocument(service: string, next: PolicyDocument): void {
  for (const [name, env] of Object.entries(next.environments)) {
    if (env.after === null) continue;
    const before = next.environments[env.after];
    if (env.after === name || before === undefined || before.ephemeral) {
      throw new FlowlineError(
        'FLOWLINE_REQUEST_INVALID',
        `environments.${name}.after of ${service} names ${env.after}, which is ${env.after === name ? 'itself' : before === undefined ? 'not an environment of the policy' : 'a preview template'}.`,
        {
          hint: 'Name another persistent environment of the service, or none.',
          location: { path: `environments.${name}.after` },
        },
      );
    }
  }
}

/** Service policies over the store (see {@link Policies}). */
export function createPolicies(deps: PoliciesDeps): Policies {
  const { store, audit, clock } = deps;

  const read = async (db: Db, service: string): Promise<ServicePolicy | undefined> => {
    const row = await db
      .selectFrom('service_policies')
      .innerJoin('services', 'services.id', 'service_policies.service_id')
      .select(['service_policies.version', 'document_json', 'updated_at', 'updated_by'])
      .where('services.name', '=', service)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const document = DocumentSchema.parse(JSON.parse(row.document_json));
    return {
      service,
      ...document,
      version: row.version,
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
    };
  };

  /** FLOWLINE_POLICY_CONFLICT when a host of `next` is served for another service environment. */
  const checkHosts = async (db: Db, service: string, next: PolicyDocument): Promise<void> => {
    const rows = await db
      .selectFrom('service_policies')
      .innerJoin('services', 'services.id', 'service_policies.service_id')
      .select(['services.name', 'document_json'])
      .where('services.name', '!=', service)
      .execute();
    const owners = new Map<string, string>();
    for (const row of rows) {
      const doc = DocumentSchema.parse(JSON.parse(row.document_json));
      for (const [env, policy] of Object.entries(doc.environments)) {
        if (!policy.ephemeral) owners.set(effectiveHost(row.name, env, policy), `${row.name}/${env}`);
      }
    }
    for (const [env, policy] of Object.entries(next.environments)) {
      if (policy.ephemeral) continue;
      const host = effectiveHost(service, env, policy);
      const owner = owners.get(host);
      if (owner !== undefined) {
        throw new FlowlineError(
          'FLOWLINE_POLICY_CONFLICT',
          `The host ${host} of ${service}/${env} is already served for ${owner}.`,
          {
            hint: `Give environments.${env}.host another name in flowline.yaml; a host belongs to one environment.`,
            location: { path: `environments.${env}.host` },
          },
        );
      }
    }
  };

  const write = async (
    tx: WriteTx,
    service: string,
    next: PolicyDocument,
    version: number,
    by: PolicyChangeBy,
  ): Promise<void> => {
    const svc = await tx.selectFrom('services').select('id').where('name', '=', service).executeTakeFirst();
    if (svc === undefined) {
      throw new FlowlineError('FLOWLINE_NOT_FOUND', `No service is named ${service}.`, {
        hint: 'A service is registered by its first `flowline run`; see them with `flowline services`.',
      });
    }
    const row = {
      service_id: svc.id,
      version,
      document_json: JSON.stringify(DocumentSchema.parse(next)),
      updated_at: clock.now().toISOString(),
      updated_by: by.actor.name,
    };
    await tx
      .insertInto('service_policies')
      .values(row)
      .onConflict((oc) => oc.column('service_id').doUpdateSet(row))
      .execute();
  };

  return {
    get: (service) => read(store.db, service),

    async ensure(service, seed, by) {
      const existing = await read(store.db, service);
      if (existing !== undefined) return existing;
      const next = seed();
      checkDocument(service, next);
      await store.write(async (tx) => {
        if ((await read(tx, service)) !== undefined) return; // another caller seeded it meanwhile
        await checkHosts(tx, service, next);
        await write(tx, service, next, 1, by);
        await audit.append(
          {
            actor: by.actor,
            action: 'policy.seed',
            target: `service:${service}`,
            where: by.where,
            details: { policy: next },
          },
          tx,
        );
      });
      const seeded = await read(store.db, service);
      if (seeded === undefined)
        throw new FlowlineError('FLOWLINE_INTERNAL', `The policy of ${service} vanished.`);
      return seeded;
    },

    async plan(service, next) {
      checkDocument(service, next);
      const current = await read(store.db, service);
      await checkHosts(store.db, service, next);
      return { current, changes: diffPolicy(current, next) };
    },

    async apply(service, next, by, expectVersion) {
      checkDocument(service, next);
      const changes = await store.write(async (tx) => {
        const current = await read(tx, service);
        if (expectVersion !== undefined && (current?.version ?? 0) !== expectVersion) {
          throw new FlowlineError(
            'FLOWLINE_POLICY_CONFLICT',
            `The policy of ${service} is at version ${current?.version ?? 0}, not ${expectVersion}: it changed since it was read.`,
            { hint: 'Look at it again (`flowline env policy`), then apply once more.' },
          );
        }
        const diff = diffPolicy(current, next);
        if (current !== undefined && diff.length === 0) return diff;
        await checkHosts(tx, service, next);
        await write(tx, service, next, (current?.version ?? 0) + 1, by);
        await audit.append(
          {
            actor: by.actor,
            action: current === undefined ? 'policy.seed' : 'policy.change',
            target: `service:${service}`,
            where: by.where,
            details: current === undefined ? { policy: next } : { changes: diff },
          },
          tx,
        );
        return diff;
      });
      const policy = await read(store.db, service);
      if (policy === undefined)
        throw new FlowlineError('FLOWLINE_INTERNAL', `The policy of ${service} vanished.`);
      return { policy, changes };
    },

    environment(policy, name): EnvironmentPolicy {
      const found = policy.environments[name];
      if (found !== undefined) return found;
      const known = Object.keys(policy.environments);
      throw new FlowlineError(
        'FLOWLINE_POLICY_UNKNOWN_ENVIRONMENT',
        `The server's policy for ${policy.service} has no environment \`${name}\`${known.length > 0 ? ` (it has ${known.join(', ')})` : ''}.`,
        {
          hint: `If flowline.yaml declares it, an admin applies it: \`flowline config plan\` then \`flowline config apply\`.`,
          location: { path: `environments.${name}` },
        },
      );
    },
  };
}
