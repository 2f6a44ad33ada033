import type { WriteTx } from '../store/index.js';

/** Who did something. */
export interface Actor {
  /** `token`: an API token (name); `user`: an OS user on this host; `ci`: a CI system's identity. */
  readonly kind: 'token' | 'user' | 'ci';
  readonly name: string;
}

/** Where it was done. */
export interface Where {
  readonly host: string;
  /** Present when running inside a recognised CI system. */
  readonly ci?: { readonly provider: string; readonly runId?: string; readonly url?: string };
  /** The git commit of the working tree, when known. */
  readonly commit?: string;
}

/** What the caller hands to {@link AuditLog.append}. */
export interface AuditInput {
  readonly actor: Actor;
  /** Dotted verb, e.g. `token.create`, `deploy.start`, `andon.pull`. */
  readonly action: string;
  /** What was acted on, e.g. `token:ci-bot`, `env:hello/production`. */
  readonly target: string;
  readonly where: Where;
  /** Extra facts. Values under secret-looking keys are redacted before writing. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditEvent extends Required<Omit<AuditInput, 'details'>> {
  readonly seq: number;
  readonly id: string;
  readonly at: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditFilter {
  readonly action?: string; // prefix match: `token` matches `token.create`
  readonly actor?: string;
  readonly target?: string; // prefix match
  readonly since?: string; // ISO time, inclusive
  readonly until?: string; // ISO time, exclusive
  readonly limit?: number; // default 100, newest first
}

/**
 * The outcome of {@link AuditLog.verify}. `events` counts the events checked and found sound
 * (all of them when ok). When ok, anchor `headHash` and `events` somewhere the store's owner
 * cannot rewrite (CI logs, a ticket): the chain proves nothing against someone who can rewrite
 * every event and the head, but it cannot be rewritten to still match an anchored head.
 */
export type VerifyResult =
  | { readonly ok: true; readonly events: number; readonly headHash: string }
  | {
      readonly ok: false;
      readonly events: number;
      /** The first event whose content or link does not match, or the position where one is missing. */
      readonly firstBad: {
        readonly seq: number;
        readonly id?: string;
        readonly problem: 'altered' | 'missing' | 'relinked';
      };
      readonly message: string;
    };

/** Append-only, hash-chained audit trail. There is no update or delete. */
export interface AuditLog {
  /**
   * Appends one event (secrets redacted from `details`). Pass `tx` when already inside
   * `store.write`, so the event commits or rolls back with the change it records.
   */
  append(input: AuditInput, tx?: WriteTx): Promise<AuditEvent>;
  /** Events matching the filter, newest first. */
  list(filter?: AuditFilter): Promise<AuditEvent[]>;
  /** Walks the whole chain and reports the first event that does not fit. */
  verify(): Promise<VerifyResult>;
}
