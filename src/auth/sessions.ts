import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { AuditLog, Where } from '../audit/index.js';
import type { Clock } from '../core/clock.js';
import { FlowlineError, isFlowlineError } from '../core/errors.js';
import type { Store } from '../store/index.js';
import { hashSecret } from './secret.js';
import type { BrowserSession, Principal, SessionService, TokenService } from './types.js';
import { VerifiedTokens, type VerifiedTokensOptions } from './verified.js';

/** A session lasts 12 hours unless its token expires first. */
const DEFAULT_TTL_MS = 12 * 60 * 60 * 1000;
/** `last_seen_at` is for humans: refreshed at most once a minute, like a token's `last_used_at`. */
const LAST_SEEN_RESOLUTION_MS = 60_000;
/** Cookie values are 32 random bytes in base64url: anything else is not looked up. */
const COOKIE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface SessionServiceDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** Sign-in verifies the token through it; its revocations in this process end sessions at once. */
  readonly tokens: Pick<TokenService, 'authenticate' | 'onRevoked'>;
  readonly where?: Where;
  /** How long a session lasts (default 12 h); never past its token's expiry. */
  readonly ttlMs?: number;
  /** Ends a session unused for this long (default: none, only the lifetime bounds it). */
  readonly idleMs?: number;
  /** How long a verified session is trusted without the store (default 1 s, as tokens). */
  readonly verified?: VerifiedTokensOptions;
}

/** A session the store said was live at `checkedAtMs`. */
interface VerifiedSession extends BrowserSession {
  readonly expiresAtMs: number;
  readonly checkedAtMs: number;
}

/**
 * Dashboard sessions bound to API tokens (docs/adr/0019-browser-sessions.md). The store keeps
 * the sha256 of the cookie, never the cookie; a verification is trusted for at most one second,
 * exactly as tokens are (ADR 0014), so a page that polls costs no store read per request and a
 * revocation made elsewhere ends its sessions within that bound. A revocation in this process ends
 * them at once; expiry (the session's or its token's) is checked on every request.
 */
export function createSessionService(deps: SessionServiceDeps): SessionService {
  const { store, audit, clock, tokens } = deps;
  const where = deps.where ?? { host: os.hostname() };
  const ttlMs = deps.ttlMs ?? DEFAULT_TTL_MS;
  const verified = new VerifiedTokens<VerifiedSession>(deps.verified);
  // Revocation deletes the token's sessions in its transaction; forget what memory holds too.
  tokens.onRevoked(() => verified.forgetAll());

  const read = async (hash: string): Promise<VerifiedSession> => {
    const now = clock.now(); // before the read, as for tokens: a later revocation is seen next time
    const row = await store.db
      .selectFrom('browser_sessions as s')
      .innerJoin('api_tokens as t', 't.id', 's.token_id')
      .select([
        's.csrf_token',
        's.expires_at',
        's.last_seen_at',
        't.id as token_id',
        't.name',
        't.role',
        't.environments_json',
        't.revoked_at',
        't.expires_at as token_expires_at',
      ])
      .where('s.id_hash', '=', hash)
      .executeTakeFirst();
    if (row === undefined) throw ended('The session has ended (signed out, expired or replaced).');
    if (row.revoked_at !== null)
      throw ended(`The token ${row.name} this session signed in with was revoked.`);
    const expiresAtMs = Math.min(
      Date.parse(row.expires_at),
      row.token_expires_at === null ? Number.POSITIVE_INFINITY : Date.parse(row.token_expires_at),
    );
    // Idle time counts from `last_seen_at`, which lags use by up to a minute: an idle bound is
    // meant in tens of minutes. Checked before the touch, which would otherwise revive it.
    const idleMs = now.getTime() - Date.parse(row.last_seen_at);
    if (deps.idleMs !== undefined && idleMs >= deps.idleMs) throw ended('The session was idle too long.');
    if (idleMs >= LAST_SEEN_RESOLUTION_MS) await touch(hash, now);
    const principal: Principal = {
      tokenId: row.token_id,
      actor: { kind: 'token', name: row.name },
      role: row.role,
      environments: row.environments_json === null ? null : (JSON.parse(row.environments_json) as string[]),
    };
    return {
      principal,
      csrfToken: row.csrf_token,
      expiresAt: new Date(expiresAtMs).toISOString(),
      expiresAtMs,
      checkedAtMs: now.getTime(),
    };
  };

  const touch = async (hash: string, now: Date): Promise<void> => {
    try {
      await store.write((tx) =>
        tx
          .updateTable('browser_sessions')
          .set({ last_seen_at: now.toISOString() })
          .where('id_hash', '=', hash)
          .execute(),
      );
    } catch (error) {
      if (!(isFlowlineError(error) && error.code === 'FLOWLINE_STORE_BUSY')) throw error;
    }
  };

  /** The session unless it expired by `nowMs` (to the millisecond, cached or not). */
  const live = (session: VerifiedSession, nowMs: number): BrowserSession => {
    if (session.expiresAtMs <= nowMs) {
      throw new FlowlineError('FLOWLINE_SESSION_EXPIRED', `The session expired at ${session.expiresAt}.`, {
        hint: SIGN_IN_AGAIN,
      });
    }
    return session;
  };

  const verifiedSession = (cookie: string): BrowserSession | undefined => {
    if (!COOKIE_PATTERN.test(cookie)) throw ended('The session cookie is malformed.');
    const nowMs = clock.now().getTime();
    const found = verified.fresh(hashSecret(cookie), nowMs);
    return found === undefined ? undefined : live(found, nowMs);
  };

  return {
    async create(secret) {
      const principal = await tokens.authenticate(secret);
      if (principal.role === 'client') {
        throw new FlowlineError(
          'FLOWLINE_FORBIDDEN',
          `The dashboard needs a token with the read role or more; token ${principal.actor.name} has the client role.`,
          { hint: 'Sign in with a read token: `flowline token create <name> --role read`.' },
        );
      }
      const cookie = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(32).toString('base64url');
      const now = clock.now();
      const expiresAt = await store.write(async (tx) => {
        const token = await tx
          .selectFrom('api_tokens')
          .select(['expires_at', 'revoked_at'])
          .where('id', '=', principal.tokenId)
          .executeTakeFirstOrThrow();
        if (token.revoked_at !== null) {
          throw new FlowlineError('FLOWLINE_AUTH_REVOKED', `The token ${principal.actor.name} was revoked.`, {
            hint: 'Ask an admin for a new token.',
          });
        }
        const endMs = Math.min(
          now.getTime() + ttlMs,
          token.expires_at === null ? Number.POSITIVE_INFINITY : Date.parse(token.expires_at),
        );
        const ends = new Date(endMs).toISOString();
        // Sessions past their end are swept here: signing in is rare enough to carry it.
        await tx.deleteFrom('browser_sessions').where('expires_at', '<=', now.toISOString()).execute();
        await tx
          .insertInto('browser_sessions')
          .values({
            id_hash: hashSecret(cookie),
            token_id: principal.tokenId,
            csrf_token: csrfToken,
            created_at: now.toISOString(),
            expires_at: ends,
            last_seen_at: now.toISOString(),
          })
          .execute();
        await audit.append(
          {
            actor: principal.actor,
            action: 'session.create',
            target: `token:${principal.actor.name}`,
            where,
            details: { tokenId: principal.tokenId, expiresAt: ends },
          },
          tx,
        );
        return ends;
      });
      const maxAgeSeconds = Math.max(0, Math.floor((Date.parse(expiresAt) - now.getTime()) / 1000));
      return { cookie, session: { principal, csrfToken, expiresAt }, maxAgeSeconds };
    },

    verifiedSession,

    authenticate(cookie) {
      try {
        const known = verifiedSession(cookie);
        if (known !== undefined) return Promise.resolve(known);
      } catch (error) {
        return Promise.reject(error);
      }
      const hash = hashSecret(cookie);
      return verified.verify(hash, () => read(hash)).then((s) => live(s, clock.now().getTime()));
    },

    async end(cookie) {
      if (!COOKIE_PATTERN.test(cookie)) return;
      const hash = hashSecret(cookie);
      await store.write(async (tx) => {
        const row = await tx
          .selectFrom('browser_sessions as s')
          .innerJoin('api_tokens as t', 't.id', 's.token_id')
          .select(['t.id', 't.name'])
          .where('s.id_hash', '=', hash)
          .executeTakeFirst();
        if (row === undefined) return;
        await tx.deleteFrom('browser_sessions').where('id_hash', '=', hash).execute();
        await audit.append(
          {
            actor: { kind: 'token', name: row.name },
            action: 'session.end',
            target: `token:${row.name}`,
            where,
            details: { tokenId: row.id },
          },
          tx,
        );
      });
      verified.forget(hash);
    },
  };
}

const SIGN_IN_AGAIN = 'Sign in again with an API token (`flowline token create <name> --role read`).';

function ended(message: string): FlowlineError {
  return new FlowlineError('FLOWLINE_SESSION_EXPIRED', message, { hint: SIGN_IN_AGAIN });
}
