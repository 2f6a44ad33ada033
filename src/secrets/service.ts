import type { Actor, AuditLog, Where } from '../audit/index.js';
import type { Catalog } from '../catalog/index.js';
import type { Clock } from '../core/clock.js';
import { FlowlineError, type Issue } from '../core/errors.js';
import type { SecretsTable, Store } from '../store/index.js';
import { type SecretBox, secretAad } from './box.js';
import { checkEnvironment, checkName, checkValue } from './rules.js';

/** A secret as listed: never its value. */
export interface SecretInfo {
  readonly service: string;
  readonly environment: string;
  readonly name: string;
  /** 1 when first set, one more on every set. */
  readonly version: number;
  readonly updatedAt: string;
  /** The name of the actor who set it last. */
  readonly updatedBy: string;
}

export interface SetSecretInput {
  readonly service: string;
  readonly environment: string;
  readonly name: string;
  readonly value: string;
}

/**
 * Secret values per service and environment, sealed in the store. Nothing this returns, throws or
 * audits holds a value, except {@link SecretService.resolve}, which exists to hand values to the
 * instances of that environment.
 */
export interface SecretService {
  /** Sets (or replaces) a value; audited as `secret.set` with the new version, never the value. */
  set(input: SetSecretInput, by: Actor, where: Where): Promise<SecretInfo>;
  /** The names set for an environment, by name. FLOWLINE_NOT_FOUND for an unknown service. */
  list(service: string, environment: string): Promise<SecretInfo[]>;
  /** Removes a value; audited as `secret.remove`. FLOWLINE_SECRET_NOT_FOUND when it is not set. */
  remove(service: string, environment: string, name: string, by: Actor, where: Where): Promise<SecretInfo>;
  /**
   * The values of `names` for `environment` of `service`, decrypted. Throws FLOWLINE_SECRET_MISSING
   * naming every name that is not set (with the command that sets it), FLOWLINE_SECRET_KEY_MISMATCH
   * or FLOWLINE_SECRET_TAMPERED when a value cannot be opened.
   */
  resolve(service: string, environment: string, names: readonly string[]): Promise<Record<string, string>>;
}

export interface SecretServiceDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly box: SecretBox;
  readonly catalog: Pick<Catalog, 'findService'>;
}

export function createSecretService(deps: SecretServiceDeps): SecretService {
  const { store, audit, clock, box, catalog } = deps;

  /** The service's id; secrets belong to a registered service, so a typo cannot store one nowhere. */
  const serviceId = async (service: string): Promise<string> => {
    const found = await catalog.findService(service);
    if (found !== undefined) return found.id;
    throw new FlowlineError('FLOWLINE_NOT_FOUND', `No service is named ${service}.`, {
      hint: 'A service is registered by its first run (`flowline run`) or deployment; see them with `flowline services`.',
    });
  };

  const rows = (id: string, environment: string) =>
    store.db
      .selectFrom('secrets')
      .selectAll()
      .where('service_id', '=', id)
      .where('environment', '=', environment);

  return {
    async set(input, by, where) {
      const { service, environment, name, value } = input;
      checkName(name);
      checkEnvironment(environment);
      checkValue(value);
      const id = await serviceId(service);
      // Values sealed with another key mean this is the wrong key (or a lost key file): say so,
      // rather than seal new values with a second key.
      const newest = await store.db
        .selectFrom('secrets')
        .select('key_id')
        .orderBy('updated_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (newest !== undefined) await box.expectKey(newest.key_id);
      const sealed = await box.seal(value, secretAad('secret', id, environment, name));
      return store.write(async (tx) => {
        const current = await tx
          .selectFrom('secrets')
          .select('version')
          .where('service_id', '=', id)
          .where('environment', '=', environment)
          .where('name', '=', name)
          .executeTakeFirst();
        const row: SecretsTable = {
          service_id: id,
          environment,
          name,
          ciphertext: sealed.ciphertext,
          nonce: sealed.nonce,
          key_id: sealed.keyId,
          version: (current?.version ?? 0) + 1,
          updated_at: clock.now().toISOString(),
          updated_by: by.name,
        };
        if (current === undefined) await tx.insertInto('secrets').values(row).execute();
        else
          await tx
            .updateTable('secrets')
            .set(row)
            .where('service_id', '=', id)
            .where('environment', '=', environment)
            .where('name', '=', name)
            .execute();
        await audit.append(
          {
            actor: by,
            action: 'secret.set',
            target: target(service, environment, name),
            where,
            details: { service, environment, name, version: row.version },
          },
          tx,
        );
        return info(service, row);
      });
    },

    async list(service, environment) {
      checkEnvironment(environment);
      const id = await serviceId(service);
      return (await rows(id, environment).orderBy('name').execute()).map((row) => info(service, row));
    },

    async remove(service, environment, name, by, where) {
      checkName(name);
      checkEnvironment(environment);
      const id = await serviceId(service);
      return store.write(async (tx) => {
        const row = await tx
          .selectFrom('secrets')
          .selectAll()
          .where('service_id', '=', id)
          .where('environment', '=', environment)
          .where('name', '=', name)
          .executeTakeFirst();
        if (row === undefined) {
          throw new FlowlineError(
            'FLOWLINE_SECRET_NOT_FOUND',
            `No secret ${name} is set for ${service}/${environment}.`,
            {
              hint: `List them with \`flowline secret list --service ${service} --env ${environment}\`.`,
            },
          );
        }
        await tx
          .deleteFrom('secrets')
          .where('service_id', '=', id)
          .where('environment', '=', environment)
          .where('name', '=', name)
          .execute();
        await audit.append(
          {
            actor: by,
            action: 'secret.remove',
            target: target(service, environment, name),
            where,
            details: { service, environment, name, version: row.version },
          },
          tx,
        );
        return info(service, row);
      });
    },

    async resolve(service, environment, names) {
      const wanted = [...new Set(names)];
      if (wanted.length === 0) return {};
      for (const name of wanted) checkName(name);
      checkEnvironment(environment);
      const id = (await catalog.findService(service))?.id;
      const found = id === undefined ? [] : await rows(id, environment).where('name', 'in', wanted).execute();
      const byName = new Map(found.map((row) => [row.name, row]));
      const missing = wanted.filter((name) => !byName.has(name));
      if (missing.length > 0) throw missingError(service, environment, missing);
      const values: Record<string, string> = {};
      for (const name of wanted) {
        const row = byName.get(name) as SecretsTable; // every name was found above
        values[name] = await box.open(
          { ciphertext: row.ciphertext, nonce: row.nonce, keyId: row.key_id },
          secretAad('secret', row.service_id, environment, name),
        );
      }
      return values;
    },
  };
}

function target(service: string, environment: string, name: string): string {
  return `secret:${service}/${environment}/${name}`;
}

function info(service: string, row: SecretsTable): SecretInfo {
  return {
    service,
    environment: row.environment,
    name: row.name,
    version: row.version,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** The command that sets one secret, as the hints print it. */
function setCommand(name: string, service: string, environment: string): string {
  return `flowline secret set ${name} --service ${service} --env ${environment}`;
}

function missingError(service: string, environment: string, missing: readonly string[]): FlowlineError {
  const issues: Issue[] = missing.map((name) => ({
    code: 'FLOWLINE_SECRET_MISSING',
    path: name,
    message: `${name} is not set for ${service}/${environment}.`,
    hint: setCommand(name, service, environment),
  }));
  return new FlowlineError(
    'FLOWLINE_SECRET_MISSING',
    `${missing.length === 1 ? 'A secret is' : `${missing.length} secrets are`} not set for ${service}/${environment}: ${missing.join(', ')}.`,
    {
      hint: `Set ${missing.length === 1 ? 'it' : 'each'} (the value is read from stdin): ${missing.map((name) => `\`${setCommand(name, service, environment)}\``).join('; ')}.`,
      issues,
    },
  );
}
