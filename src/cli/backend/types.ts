import type { Actor, AuditEvent, AuditFilter, VerifyResult } from '../../audit/types.js';
import type { CreateTokenInput, Role, TokenInfo } from '../../auth/types.js';
import type { Catalog } from '../../catalog/index.js';

/** The caller as the backend sees it. */
export interface Identity {
  readonly actor: Actor;
  readonly role: Role;
  readonly environments: readonly string[] | null;
}

type Reads<T> = { [K in keyof T as K extends `list${string}` | `get${string}` ? K : never]: T[K] };

/**
 * What CLI commands talk to. Two implementations with one behaviour: `embedded` opens the local
 * store in-process (the OS user acts, with admin rights over their own files), `remote` calls a
 * Flowline server over HTTP with a bearer token.
 */
export interface Backend {
  readonly mode: 'embedded' | 'remote';
  /** Where the data lives: the store file, or the server URL. */
  readonly location: string;
  whoami(): Promise<Identity>;
  createToken(input: CreateTokenInput): Promise<{ token: TokenInfo; secret: string }>;
  listTokens(options: { includeRevoked: boolean }): Promise<TokenInfo[]>;
  revokeToken(idOrName: string): Promise<TokenInfo>;
  listAudit(filter: AuditFilter): Promise<AuditEvent[]>;
  verifyAudit(): Promise<VerifyResult>;
  readonly catalog: Reads<Catalog>;
  close(): Promise<void>;
}
