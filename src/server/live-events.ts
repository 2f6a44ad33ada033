import type { AuditLog } from '../audit/types.js';
import type { Principal } from '../auth/types.js';
import type { EventBus, FlowlineEvent } from '../core/events.js';

/** One open `GET /v1/events` response. */
export interface LiveSubscriber {
  readonly principal: Principal;
  /** Writes a frame; the subscriber drops itself when its client reads too slowly. */
  write(frame: string): void;
  /** Ends the response (server closing, or the credential no longer valid). */
  end(): void;
  /** Resolves while the request's credential (token or session) still holds; rejects once it does not. */
  recheck(): Promise<unknown>;
}

export interface LiveEventOptions {
  /** A comment line to every subscriber this often, so proxies keep the connection (default 15 s). */
  readonly heartbeatMs?: number;
  /** How often the audit trail is read for appends, by any process (default 500 ms). */
  readonly auditPollMs?: number;
  /** How often each subscriber's credential is checked again (default 1 s, the token bound). */
  readonly recheckMs?: number;
}

const HEARTBEAT = ': heartbeat\n\n';
const AUDIT_PAGE = 200;

/**
 * The dashboard's live events: the in-process EventBus (releases, deployments, flags, the andon,
 * incidents, recorded runs) and the audit trail's appends, as server-sent events. Each event goes
 * only to subscribers whose scope includes its environment; events about no environment go to
 * all (they need the read role, as the routes that show the same records do).
 *
 * The audit trail is read from the store, not the bus, so appends of every process sharing it
 * (the embedded CLI, another server) reach the dashboard within `auditPollMs`. Timers and the bus
 * subscription exist only while someone listens.
 */
export class LiveEventHub {
  readonly #subscribers = new Set<LiveSubscriber>();
  readonly #options: Required<LiveEventOptions>;
  #stop: (() => void) | undefined;
  /** Settles once the audit trail's starting point is read. */
  #ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      readonly events: Pick<EventBus, 'subscribe'>;
      readonly audit: Pick<AuditLog, 'tail' | 'lastSeq'>;
      readonly onError?: (error: unknown) => void;
    },
    options: LiveEventOptions = {},
  ) {
    this.#options = {
      heartbeatMs: options.heartbeatMs ?? 15_000,
      auditPollMs: options.auditPollMs ?? 500,
      recheckMs: options.recheckMs ?? 1000,
    };
  }

  get size(): number {
    return this.#subscribers.size;
  }

  /**
   * Adds a subscriber; resolves with its removal once the hub follows the audit trail, so every
   * event from then on reaches it.
   */
  async subscribe(subscriber: LiveSubscriber): Promise<() => void> {
    this.#subscribers.add(subscriber);
    if (this.#stop === undefined) this.#stop = this.#start();
    await this.#ready;
    return () => {
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) {
        this.#stop?.();
        this.#stop = undefined;
      }
    };
  }

  /** Ends every stream (the server is closing) and stops listening. */
  close(): void {
    for (const subscriber of [...this.#subscribers]) subscriber.end();
    this.#subscribers.clear();
    this.#stop?.();
    this.#stop = undefined;
  }

  #start(): () => void {
    const onError = this.deps.onError ?? (() => {});
    const unsubscribe = this.deps.events.subscribe((event) => this.#relay(event));
    const heartbeat = setInterval(() => {
      for (const s of this.#subscribers) s.write(HEARTBEAT);
    }, this.#options.heartbeatMs);
    const recheck = setInterval(() => {
      for (const s of this.#subscribers) s.recheck().catch(() => s.end());
    }, this.#options.recheckMs);
    // The audit tail: from the newest seq when the first subscriber came, then every append.
    let last: number | undefined;
    let reading = false;
    const follow = async () => {
      if (reading) return;
      reading = true;
      try {
        last ??= await this.deps.audit.lastSeq();
        for (;;) {
          const rows = await this.deps.audit.tail(last, AUDIT_PAGE);
          for (const row of rows) {
            last = row.seq;
            this.#broadcast(frame('audit.appended', { type: 'audit.appended', ...row }), undefined);
          }
          if (rows.length < AUDIT_PAGE) break;
        }
      } catch (error) {
        onError(error);
      } finally {
        reading = false;
      }
    };
    this.#ready = follow();
    const poll = setInterval(() => void follow(), this.#options.auditPollMs);
    for (const timer of [heartbeat, recheck, poll]) timer.unref();
    return () => {
      unsubscribe();
      for (const timer of [heartbeat, recheck, poll]) clearInterval(timer);
    };
  }

  #relay(event: FlowlineEvent): void {
    this.#broadcast(frame(event.type, event), event.environment);
  }

  #broadcast(text: string, environment: string | undefined): void {
    for (const s of this.#subscribers) if (sees(s.principal, environment)) s.write(text);
  }
}

/** Whether the principal's scope includes the environment an event is about. */
export function sees(principal: Principal, environment: string | undefined): boolean {
  return (
    environment === undefined ||
    principal.environments === null ||
    principal.environments.includes(environment)
  );
}

/** One server-sent event. JSON has no raw newlines, so `data` is one line. */
export function frame(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}
