import type { Actor, Where } from '../../audit/types.js';
import type { CompiledFlagSet } from '../engine/compile.js';
import type { EvaluationContext, EvaluationResult, FlagSetDefinition } from '../engine/types.js';

/**
 * The flag set of one service in one environment as the server hands it out: what
 * `GET /v1/flags/{service}/{environment}` answers and what each stream event carries.
 */
export interface FlagDocument {
  readonly service: string;
  readonly environment: string;
  /** 0 before the first change; one more on every change. */
  readonly version: number;
  /** Quoted (`"…"`), exactly as in the `ETag` header. Changes with every version. */
  readonly etag: string;
  readonly definition: FlagSetDefinition;
}

/** A flag set ready to serve: the document, its JSON (serialised once) and the compiled set. */
export interface ServedFlagSet {
  readonly document: FlagDocument;
  /** `JSON.stringify(document)`. */
  readonly json: string;
  readonly compiled: CompiledFlagSet;
}

/** Who changes the flags, from where, and (optionally) on the condition of an ETag. */
export interface ChangeContext {
  readonly actor: Actor;
  readonly where: Where;
  /** An `If-Match` header value: the change is refused with FLOWLINE_FLAGS_CONFLICT if stale. */
  readonly ifMatch?: string | undefined;
}

/** The one-move operations on a flag. `kill` wins over everything; `unkill` lifts it. */
export type FlagAction = 'enable' | 'disable' | 'kill' | 'unkill';

/** One version in a flag set's history. */
export interface FlagHistoryEntry {
  readonly version: number;
  readonly at: string;
  readonly actor: Actor;
  readonly action: string;
  /** Flag keys created, changed or deleted by this version. */
  readonly flags: readonly string[];
  readonly summary: string;
}

/** How often an SDK served `variant` of `flag` since it last reported. */
export interface EvaluationCount {
  readonly flag: string;
  readonly variant: string;
  readonly count: number;
}

/** What the server knows about one flag in one environment, besides its definition. */
export interface FlagActivity {
  /** When a version last created or changed this flag. */
  readonly changedAt: string | null;
  /** When it was last evaluated, by the server or an SDK (counts are flushed every few seconds). */
  readonly evaluatedAt: string | null;
  /** Evaluations by variant: the server's own and those SDKs evaluating locally reported. */
  readonly evaluations: Readonly<Record<string, number>>;
}

/**
 * Evaluations per flag and variant per hour: `GET /v1/flags/{service}/{environment}/evaluations`.
 * `hours` are the UTC hour starts, oldest first, the current hour last; each count list is
 * aligned with them. Counts land in the hour they were flushed (every 5 s) or reported by an SDK.
 */
export interface EvaluationSeries {
  readonly service: string;
  readonly environment: string;
  readonly hours: readonly string[];
  readonly flags: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>>;
}

/** Every environment's flag set of a service, with activity: `GET /v1/flags/{service}`. */
export interface FlagOverview {
  readonly service: string;
  readonly environments: readonly (FlagDocument & {
    readonly updatedAt: string | null;
    readonly flags: Readonly<Record<string, FlagActivity>>;
  })[];
}

/** What triggers a kill: a Prometheus Alertmanager alert, or a signed generic webhook. */
export type TriggerKind = 'alertmanager' | 'webhook';

/** A flag trigger as listed: never its secret. */
export interface TriggerInfo {
  readonly name: string;
  readonly service: string;
  readonly environment: string;
  readonly kind: TriggerKind;
  readonly flag: string;
  /** Alert labels that must all be equal (alertmanager); empty for webhooks. */
  readonly match: Readonly<Record<string, string>>;
  /** Served while killed by this trigger; absent: the flag's kill variant or default variant. */
  readonly variant?: string;
  /** A resolved alert (or a `resolved` webhook) lifts the kill this trigger pulled. */
  readonly restore: boolean;
  readonly state: 'idle' | 'fired';
  readonly firedAt: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface AddTriggerInput {
  readonly service: string;
  readonly environment: string;
  readonly name: string;
  readonly kind: TriggerKind;
  readonly flag: string;
  readonly match?: Readonly<Record<string, string>>;
  readonly variant?: string;
  readonly restore?: boolean;
}

/** What one trigger did for one notification. */
export interface TriggerOutcome {
  readonly trigger: string;
  readonly flag: string;
  /** `kill`: it killed the flag; `restore`: it lifted its kill; `none`: nothing to do. */
  readonly action: 'kill' | 'restore' | 'none';
  readonly version: number;
}

/**
 * Flags on the server: stored per service and environment, changed in audited transactions,
 * served from a compiled in-memory cache, evaluated, counted and watched.
 */
export interface FlagService {
  /** The current flag set (version 0 and no flags when none was ever written). */
  document(service: string, environment: string): Promise<FlagDocument>;
  /**
   * The current flag set compiled and serialised; cached until it changes. Without waiting when
   * it is in memory (the hot path of the evaluation routes), else a promise.
   *
   * `atLeast` asks for read-your-writes across processes: when this process holds an older
   * version than `atLeast` (a change written by the embedded CLI or another server on the same
   * store, not yet seen by the poll), it looks at the store's version of this one set at once and
   * serves what is there. What it answers may still be older if the store has no such version yet.
   */
  served(service: string, environment: string, atLeast?: number): ServedFlagSet | Promise<ServedFlagSet>;
  /** Evaluates one flag of a served set as the server endpoint does, counting the answer. */
  evaluateIn(set: ServedFlagSet, flag: string, context: EvaluationContext): EvaluationResult;
  /** Evaluates every flag of a served set, or the listed ones (an unknown key answers FLAG_NOT_FOUND). */
  evaluateBulkIn(
    set: ServedFlagSet,
    context: EvaluationContext,
    flags?: readonly string[],
  ): Record<string, EvaluationResult>;
  /** {@link evaluateIn} on the current set. */
  evaluate(
    service: string,
    environment: string,
    flag: string,
    context: EvaluationContext,
  ): Promise<EvaluationResult>;
  /** {@link evaluateBulkIn} on the current set. */
  evaluateBulk(
    service: string,
    environment: string,
    context: EvaluationContext,
    flags?: readonly string[],
  ): Promise<Record<string, EvaluationResult>>;
  /**
   * Adds evaluations an SDK performed locally to the counts the server keeps for its own. Only
   * flags and variants of the current set are counted (so callers cannot grow the table with
   * made-up keys); the rest is answered as ignored.
   */
  countEvaluations(
    service: string,
    environment: string,
    evaluations: readonly EvaluationCount[],
  ): Promise<{ readonly counted: number; readonly ignored: number }>;
  /** Replaces the whole definition (audited as `flags.apply`). */
  replace(
    service: string,
    environment: string,
    definition: unknown,
    change: ChangeContext,
  ): Promise<FlagDocument>;
  /** Creates or replaces one flag (audited as `flag.set`). */
  setFlag(
    service: string,
    environment: string,
    flag: string,
    definition: unknown,
    change: ChangeContext,
  ): Promise<FlagDocument>;
  /** Enables, disables, kills (optionally to `variant`) or un-kills one flag. */
  act(
    service: string,
    environment: string,
    flag: string,
    action: FlagAction,
    change: ChangeContext & { readonly variant?: string | undefined },
  ): Promise<FlagDocument>;
  /**
   * Checks a change as the write would, writing nothing: `flag` given, `definition` is that flag's
   * (as {@link setFlag}); else the whole set (as {@link replace}). Throws the write's own error
   * (FLOWLINE_FLAGS_INVALID, FLOWLINE_FLAGS_TOO_LARGE); answers the version it was checked against.
   */
  check(
    service: string,
    environment: string,
    definition: unknown,
    flag?: string,
  ): Promise<{ readonly version: number; readonly etag: string }>;
  /** Evaluation counts per hour over the last `hours` hours (the current one included). */
  evaluationHours(
    service: string,
    environment: string,
    options: { readonly hours: number; readonly flag?: string | undefined },
  ): Promise<EvaluationSeries>;
  history(service: string, environment: string, limit?: number): Promise<FlagHistoryEntry[]>;
  overview(service: string): Promise<FlagOverview>;
  /** Called after every change, by this process or (seen by the poller) another one. */
  onChange(listener: (service: string, environment: string) => void): () => void;
  /**
   * Starts the background work of a server: flushing evaluation counts and watching the store
   * for changes made by other processes (e.g. the embedded CLI). Idempotent.
   */
  start(): void;
  /** Writes the evaluation counts gathered so far (the server does it every few seconds). */
  flushCounts(): Promise<void>;
  /** Stops the background work and flushes the counts. */
  close(): Promise<void>;
}
