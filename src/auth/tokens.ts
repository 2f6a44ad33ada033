import os from 'node:os';
import type { AuditLog, Where } from '../audit/index.js';
import type { Clock } from '../core/clock.js';
import { FlowlineError, isFlowlineError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { DNS_LABEL_HINT, isDnsLabel } from '../core/names.js';
import { type ApiTokenRow, isUniqueViolation, type Store, type WriteTx } from '../store/index.js';
import { displayPrefix, hashSecret, isWellFormedSecret, newSecret } from './secret.js';
import { type CreateTokenInput, type Principal, ROLES, type TokenInfo, type TokenService } from './types.js';
import { type VerifiedToken, VerifiedTokens, type VerifiedTokensOptions } from './verified.js';

/** Token names: they appear as the actor of audit events, e.g. `ci-deploy`. */
export const TOKEN_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** `last_used_at` is a hint for humans; refreshing it at most once a minute spares a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface TokenServiceDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** Where token changes happen, for their audit events. Default: this host. */
  readonly where?: Where;
  /** How long a verified token is trusted before the store is asked again (default 1 s). */
  readonly verified?: VerifiedTokensOptions;
}

/**
 * API tokens: created with a role and an optional environment scope and expiry, stored only as
 * a hash, revoked rather than deleted. Creating and revoking are audited in the same
 * transaction as the change, so one never exists without the other.
 *
 * Authentication trusts a verification for at most `verified.revalidateMs` (1 s): a revocation
 * reaches every server sharing the store within that bound, and this process at once; expiry is
 * checked on every request (docs/adr/0014-token-cache.md).
 */
export function createTokenService(deps: TokenServiceDeps): TokenService {
  const { store, audit, clock } = deps;
  const where = deps.where ?? { host: os.hostname() };
  const verified = new VerifiedTokens(deps.verified);
  const revokedListeners = new Set<(tokenId: string) => void>();

  /** Reads the token from the store: throws for an unknown or revoked one. */
  const verify = async (hash: string): Promise<VerifiedToken> => {
    const now = clock.now(); // before the read: a revocation committed after it is caught next time
    const row = await store.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('secret_hash', '=', hash)
      .executeTakeFirst();
    if (row === undefined) {
      throw new FlowlineError('FLOWLINE_AUTH_INVALID', 'The bearer token is not known to this Flowline.', {
        hint: 'Check that the token belongs to this server, or create one with `flowline token create`.',
      });
    }
    if (row.revoked_at !== null) {
      throw new FlowlineError(
        'FLOWLINE_AUTH_REVOKED',
        `The token ${row.name} was revoked at ${row.revoked_at}.`,
        {
          hint: 'Ask an admin for a new token.',
        },
      );
    }
    if (!isExpired(row.expires_at === null ? null : Date.parse(row.expires_at), now.getTime()))
      await touch(store, row, now);
    return {
      principal: toPrincipal(row),
      name: row.name,
      expiresAt: row.expires_at,
      expiresAtMs: row.expires_at === null ? null : Date.parse(row.expires_at),
      checkedAtMs: now.getTime(),
    };
  };

  return {
    async create(input, by) {
      const fields = validate(input, clock.now());
      const secret = newSecret();
      const row: ApiTokenRow = {
        id: newId('tok', clock.now()),
        name: fields.name,
        secret_hash: hashSecret(secret),
        prefix: displayPrefix(secret),
        role: fields.role,
        environments_json: fields.environments === null ? null : JSON.stringify(fields.environments),
        created_by: by.name,
        created_at: clock.now().toISOString(),
        expires_at: fields.expiresAt,
        last_used_at: null,
        revoked_at: null,
      };
      try {
        await store.write(async (tx) => {
          if (await activeByName(tx, row.name)) throw nameTaken(row.name);
          await tx.insertInto('api_tokens').values(row).execute();
          await audit.append(
            { actor: by, action: 'token.create', target: `token:${row.name}`, where, details: facts(row) },
            tx,
          );
        });
      } catch (error) {
        throw isUniqueViolation(error) ? nameTaken(row.name) : error;
      }
      return { token: toInfo(row), secret };
    },

    async list(options = {}) {
      let query = store.db.selectFrom('api_tokens').selectAll();
      if (options.includeRevoked !== true) query = query.where('revoked_at', 'is', null);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(toInfo);
    },

    async revoke(idOrName, by) {
      const { info, hash, id } = await store.write(async (tx) => {
        const row =
          (await tx.selectFrom('api_tokens').selectAll().where('id', '=', idOrName).executeTakeFirst()) ??
          (await activeByName(tx, idOrName));
        if (row === undefined) {
          throw new FlowlineError(
            'FLOWLINE_TOKEN_NOT_FOUND',
            `No active token has the id or name ${idOrName}.`,
            {
              hint: 'See the tokens with `flowline token list`.',
            },
          );
        }
        // Already revoked: nothing to do or audit.
        if (row.revoked_at !== null) return { info: toInfo(row), hash: row.secret_hash, id: row.id };
        const revoked = { ...row, revoked_at: clock.now().toISOString() };
        await tx
          .updateTable('api_tokens')
          .set({ revoked_at: revoked.revoked_at })
          .where('id', '=', row.id)
          .execute();
        // Its dashboard sessions die with it (docs/adr/0019-browser-sessions.md).
        await tx.deleteFrom('browser_sessions').where('token_id', '=', row.id).execute();
        await audit.append(
          { actor: by, action: 'token.revoke', target: `token:${row.name}`, where, details: facts(row) },
          tx,
        );
        return { info: toInfo(revoked), hash: row.secret_hash, id: row.id };
      });
      // After the commit: a read of the token under way until then is not kept either.
      verified.forget(hash);
      for (const listener of revokedListeners) listener(id);
      return info;
    },

    authenticate(secret) {
      try {
        const known = verifiedPrincipal(secret);
        if (known !== undefined) return Promise.resolve(known);
      } catch (error) {
        return Promise.reject(error);
      }
      const hash = hashSecret(secret);
      return verified
        .verify(hash, () => verify(hash))
        .then((token) => unexpired(token, clock.now().getTime()));
    },

    verifiedPrincipal,
    onRevoked(listener) {
      revokedListeners.add(listener);
      return () => revokedListeners.delete(listener);
    },
  };

  function verifiedPrincipal(secret: string): Principal | undefined {
    // Never put the presented value in a message: it may be a real secret sent to the wrong server.
    if (!isWellFormedSecret(secret)) {
      throw new FlowlineError('FLOWLINE_AUTH_INVALID', 'The bearer token is malformed.', {
        hint: 'Flowline tokens look like flt_ followed by 43 characters; copy the whole secret.',
      });
    }
    const nowMs = clock.now().getTime();
    const token = verified.fresh(hashSecret(secret), nowMs);
    return token === undefined ? undefined : unexpired(token, nowMs);
  }
}

/** The token's principal; refused once expired, cached or not, so expiry takes effect to the millisecond. */
function unexpired(token: VerifiedToken, nowMs: number): Principal {
  if (isExpired(token.expiresAtMs, nowMs)) {
    throw new FlowlineError(
      'FLOWLINE_AUTH_EXPIRED',
      `The token ${token.name} expired at ${token.expiresAt}.`,
      {
        hint: 'Ask an admin for a new token.',
      },
    );
  }
  return token.principal;
}

function isExpired(expiresAtMs: number | null, nowMs: number): boolean {
  return expiresAtMs !== null && expiresAtMs <= nowMs;
}

/** Records use at most once per minute per token; a busy store skips it rather than fail the request. */
async function touch(store: Store, row: ApiTokenRow, now: Date): Promise<void> {
  const threshold = new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString();
  if (row.last_used_at !== null && row.last_used_at > threshold) return;
  try {
    await store.write((tx) =>
      tx
        .updateTable('api_tokens')
        .set({ last_used_at: now.toISOString() })
        .where('id', '=', row.id)
        .where((e) => e.or([e('last_used_at', 'is', null), e('last_used_at', '<=', threshold)]))
        .execute(),
    );
  } catch (error) {
    if (!(isFlowlineError(error) && error.code === 'FLOWLINE_STORE_BUSY')) throw error;
  }
}

function activeByName(tx: WriteTx, name: string): Promise<ApiTokenRow | undefined> {
  return tx
    .selectFrom('api_tokens')
    .selectAll()
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

function validate(input: CreateTokenInput, now: Date) {
  const invalid = (path: string, message: string, hint: string) =>
    new FlowlineError('FLOWLINE_REQUEST_INVALID', message, { hint, location: { path } });
  if (typeof input.name !== 'string' || !TOKEN_NAME.test(input.name)) {
    throw invalid(
      'name',
      `The token name ${JSON.stringify(input.name)} is not valid.`,
      'Use 1–64 characters: lower-case letters, digits, and . _ - (not first), e.g. ci-deploy.',
    );
  }
  if (!ROLES.includes(input.role)) {
    throw invalid(
      'role',
      `The role ${JSON.stringify(input.role)} is not known.`,
      `Use one of ${ROLES.join(', ')}.`,
    );
  }
  let environments: string[] | null = null;
  // A client token ships inside apps and browsers: it must never read every environment's flags.
  if (input.role === 'client' && input.environments === undefined) {
    throw invalid(
      'environments',
      'A client token must be limited to the environments whose flags it reads.',
      'Name them, e.g. `flowline token create web-app --role client --env production`.',
    );
  }
  if (input.environments !== undefined) {
    environments = [...new Set(input.environments)];
    if (environments.length === 0) {
      throw invalid(
        'environments',
        'The environment scope must name at least one environment.',
        'Leave the scope out for a token valid in every environment.',
      );
    }
    // A scope names environments as flowline.yaml does; anything else (`../x`) matches none.
    const bad = environments.findIndex((env) => !isDnsLabel(env));
    if (bad !== -1) {
      throw invalid(
        `environments[${bad}]`,
        `The environment name ${JSON.stringify(environments[bad])} is not valid.`,
        `Name environments as flowline.yaml does: ${DNS_LABEL_HINT}.`,
      );
    }
  }
  let expiresAt: string | null = null;
  if (input.expiresAt !== undefined) {
    const ms = Date.parse(input.expiresAt);
    if (Number.isNaN(ms) || ms <= now.getTime()) {
      throw invalid(
        'expiresAt',
        `The expiry ${JSON.stringify(input.expiresAt)} is not a time in the future.`,
        'Give an ISO-8601 time after now, e.g. 2027-01-01T00:00:00Z.',
      );
    }
    expiresAt = new Date(ms).toISOString();
  }
  return { name: input.name, role: input.role, environments, expiresAt };
}

function nameTaken(name: string): FlowlineError {
  return new FlowlineError('FLOWLINE_TOKEN_NAME_TAKEN', `An active token is already named ${name}.`, {
    hint: `Choose another name, or revoke the existing one first: flowline token revoke ${name}`,
  });
}

/** What the audit trail records about a token: never its secret, never its hash. */
function facts(row: ApiTokenRow) {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    environments: parseEnvironments(row),
    prefix: row.prefix,
    expiresAt: row.expires_at,
  };
}

function parseEnvironments(row: ApiTokenRow): string[] | null {
  return row.environments_json === null ? null : (JSON.parse(row.environments_json) as string[]);
}

function toInfo(row: ApiTokenRow): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    environments: parseEnvironments(row),
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

function toPrincipal(row: ApiTokenRow): Principal {
  return {
    tokenId: row.id,
    actor: { kind: 'token', name: row.name },
    role: row.role,
    environments: parseEnvironments(row),
  };
}
