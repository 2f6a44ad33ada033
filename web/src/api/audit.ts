/** The audit answers of docs/api.md (`GET /v1/audit`, `GET /v1/audit/verify`). */

export interface AuditActor {
  readonly kind: string;
  readonly name: string;
  readonly [key: string]: unknown;
}

/** One event of the trail; `details` are already redacted by the server. */
export interface AuditEventRecord {
  readonly seq: number;
  readonly id: string;
  readonly at: string;
  readonly actor: AuditActor;
  readonly action: string;
  readonly target: string;
  readonly where: {
    readonly host: string;
    readonly ci?: { readonly provider: string; readonly runId?: string; readonly url?: string };
    readonly commit?: string;
  };
  readonly details: Readonly<Record<string, unknown>>;
}

export type VerifyAnswer =
  | { readonly ok: true; readonly events: number; readonly headHash: string; readonly anchored: number }
  | {
      readonly ok: false;
      readonly code: string;
      readonly events: number;
      readonly firstBad: {
        readonly seq: number;
        readonly id?: string;
        readonly problem: string;
        readonly anchor?: { readonly seq: number; readonly hash: string };
      };
      readonly message: string;
    };
