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
  /** A prefix (`token` matches `token.create`), or a glob over the whole action (`env.*`, `*.fail`): see pattern.ts. */
  readonly action?: string;
  readonly actor?: string;
  /** A prefix or a glob, as `action`. */
  readonly target?: string;
  readonly since?: string; // ISO time, inclusive
  readonly until?: string; // ISO time, exclusive
  readonly limit?: number; // default 100, newest first
  /** Only events older than this `seq`: the next page after an event seen last. */
  readonly before?: number;
}

/**
 * A point of the chain: how many events it held and the hash of the newest (GENESIS_HASH at 0).
 * Saved outside the store (an anchor file, CI logs, a ticket), it lets {@link AuditLog.verify}
 * detect a chain rewritten whole: the store's own head record can be rewritten with the chain, a
 * head saved elsewhere cannot.
 */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * The outcome of {@link AuditLog.verify}. `events` counts the events checked and found sound
 * (all of them when ok); `anchored` counts the distinct saved heads the chain was checked
 * against; 0 means it was verified internally only, which proves nothing against someone who
 * can rewrite every event and the head record.
 */
export type VerifyResult =
  | {
      readonly ok: true;
      readonly events: number;
      readonly headHash: string;
      readonly anchored: number;
    }
  | {
      readonly ok: false;
      /** FLOWLINE_AUDIT_ANCHOR_MISMATCH when a saved head caught it, else FLOWLINE_AUDIT_CHAIN_BROKEN. */
      readonly code: 'FLOWLINE_AUDIT_CHAIN_BROKEN' | 'FLOWLINE_AUDIT_ANCHOR_MISMATCH';
      readonly events: number;
      /** The first event whose content or link does not match, or the position where one is missing. */
      readonly firstBad: {
        readonly seq: number;
        readonly id?: string;
        /**
         * `truncated`: a saved head lies past the end of the chain; `rewritten`: the chain's hash
         * at a saved head's seq is not the saved one (the events up to it were rewritten).
         */
        readonly problem: 'altered' | 'missing' | 'relinked' | 'truncated' | 'rewritten';
        /** The saved head that caught it (`truncated`, `rewritten`). */
        readonly anchor?: AuditHead;
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
  /**
   * Walks the whole chain and reports the first event that does not fit, checking it against
   * `anchors` (heads saved outside the store) on the way: each must lie within the chain and
   * match its hash at that seq.
   */
  verify(anchors?: readonly AuditHead[]): Promise<VerifyResult>;
  /** The head record: the seq and hash to save elsewhere. FLOWLINE_AUDIT_CHAIN_BROKEN when it is gone. */
  head(): Promise<AuditHead>;
  /**
   * What was appended after `afterSeq`, oldest first, at most `limit` (seq, time, action and
   * target only): for live displays that follow the trail, never the details.
   */
  tail(afterSeq: number, limit: number): Promise<AuditTail[]>;
  /** The highest seq appended so far (0 for an empty trail), from the events themselves. */
  lastSeq(): Promise<number>;
}

/** One appended event as a live display sees it: no actor, no details. */
export interface AuditTail {
  readonly seq: number;
  readonly at: string;
  readonly action: string;
  readonly target: string;
}
