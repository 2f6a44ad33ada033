import type { Actor } from '../audit/types.js';

/**
 * `client` may only read and evaluate the flags of the environments in its scope (an app's or a
 * browser's token); every other route needs `read` or more. `ci` (records runs, uploads
 * artifacts) and `deploy` (deploys, rolls back, acts on releases and flags) each include `read`
 * and neither includes the other; `admin` includes everything. See docs/adr/0010-trust-model.md.
 */
export const ROLES = ['client', 'read', 'ci', 'deploy', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A token as listed: never the secret, never its hash. */
export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  /** `flt_` and the next 8 characters of the secret (e.g. `flt_3kq9Zx0a`), to recognise it. */
  readonly prefix: string;
  readonly role: Role;
  /** Environments the token may act on; `null` means all. */
  readonly environments: readonly string[] | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

export interface CreateTokenInput {
  readonly name: string;
  readonly role: Role;
  readonly environments?: readonly string[];
  /** ISO time; absent means no expiry. */
  readonly expiresAt?: string;
}

/** The authenticated caller of an API request. */
export interface Principal {
  readonly tokenId: string;
  readonly actor: Actor;
  readonly role: Role;
  readonly environments: readonly string[] | null;
}

export interface TokenService {
  /** Creates a token. The secret is returned here once and never again. */
  create(input: CreateTokenInput, by: Actor): Promise<{ readonly token: TokenInfo; readonly secret: string }>;
  list(options?: { readonly includeRevoked?: boolean }): Promise<TokenInfo[]>;
  /** Revokes by id or name; audited. */
  revoke(idOrName: string, by: Actor): Promise<TokenInfo>;
  /** Resolves a presented secret, or throws FLOWLINE_AUTH_INVALID / _REVOKED / _EXPIRED. */
  authenticate(secret: string): Promise<Principal>;
  /**
   * The same answer without waiting, for a token verified against the store within the
   * revalidation bound (1 s); `undefined` when the store must be asked (call `authenticate`).
   * Throws FLOWLINE_AUTH_INVALID for a malformed secret and FLOWLINE_AUTH_EXPIRED once expired.
   */
  verifiedPrincipal(secret: string): Principal | undefined;
  /** Calls `listener` with the id of each token this process revokes, after the commit. */
  onRevoked(listener: (tokenId: string) => void): () => void;
}

/** Throws FLOWLINE_FORBIDDEN unless `principal` has at least `role` (and, if given, `environment` in scope). */
export type Authorize = (principal: Principal, role: Role, environment?: string) => void;

/** A signed-in dashboard (docs/adr/0019-browser-sessions.md): the principal is its token's. */
export interface BrowserSession {
  readonly principal: Principal;
  /** What the dashboard sends as `X-Flowline-CSRF` with every change. */
  readonly csrfToken: string;
  /** The earlier of the session's end and its token's expiry. */
  readonly expiresAt: string;
}

/**
 * Dashboard sessions signed in with an API token: the cookie is a random value stored only as its
 * hash; the session has the token's role and scope and ends with it (revocation, expiry).
 */
export interface SessionService {
  /**
   * Verifies `secret` exactly as bearer authentication does (FLOWLINE_AUTH_INVALID / _REVOKED /
   * _EXPIRED) and opens a session; audited as `session.create`. Returns the cookie value once.
   */
  create(
    secret: string,
  ): Promise<{ readonly cookie: string; readonly session: BrowserSession; readonly maxAgeSeconds: number }>;
  /** The session from memory when verified within the last second; `undefined`: call `authenticate`. */
  verifiedSession(cookie: string): BrowserSession | undefined;
  /** The live session of a cookie, or FLOWLINE_SESSION_EXPIRED (ended, expired, token revoked). */
  authenticate(cookie: string): Promise<BrowserSession>;
  /** Signs out: deletes the session (audited as `session.end`); nothing happens for an unknown one. */
  end(cookie: string): Promise<void>;
}
