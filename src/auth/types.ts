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
}

/** Throws FLOWLINE_FORBIDDEN unless `principal` has at least `role` (and, if given, `environment` in scope). */
export type Authorize = (principal: Principal, role: Role, environment?: string) => void;
