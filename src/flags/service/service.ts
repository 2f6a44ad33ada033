import type { AuditLog } from '../../audit/types.js';
import type { Clock } from '../../core/clock.js';
import { FlowlineError } from '../../core/errors.js';
import type { EventBus } from '../../core/events.js';
import type { Store, WriteTx } from '../../store/index.js';
import { type CompiledFlagSet, compileFlagSet } from '../engine/compile.js';
import { evaluate, evaluateAll } from '../engine/evaluate.js';
import type { EvaluateOptions, EvaluationContext, EvaluationResult } from '../engine/types.js';
import { compileFlagSetOrThrow } from '../errors.js';
import { ServedSets, type ServedSetsLimits } from './cache.js';
import {
  applyAction,
  changesBetween,
  describeChanges,
  emptyDefinition,
  etagMatches,
  isUnchanged,
  labelled,
  type SetChanges,
  withFlag,
} from './changes.js';
import { EvaluationCounters } from './counters.js';
import { evaluationSeries } from './series.js';
import { flagTables } from './store.js';
import type { ChangeContext, FlagDocument, FlagOverview, FlagService, ServedFlagSet } from './types.js';

export interface FlagServiceDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** `flag.changed` is emitted here for every flag a change touches. */
  readonly events: EventBus;
  /** How often evaluation counts are written (default 5 s). */
  readonly flushIntervalMs?: number;
  /** How often the store is checked for changes made by other processes (default 500 ms). */
  readonly pollIntervalMs?: number;
  /** Background failures (a flush or a poll); default: ignored. */
  readonly onError?: (error: unknown) => void;
  /** How many flag sets are kept in memory (see {@link ServedSets}). */
  readonly cache?: ServedSetsLimits;
}

/** One change, decided inside the write transaction from the current document. */
export interface Proposal {
  readonly definition: unknown;
  /** The audit action: `flag.set`, `flag.kill`, `flags.apply`, … */
  readonly action: string;
  /** The flag acted on, for `flag.*` actions (the audit target names it). */
  readonly flag?: string;
  /** A line for people; default: what changed. */
  readonly summary?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /**
   * Runs in the same transaction once the version is written, with its history id (the flag
   * change an incident links to): what must exist exactly when the change does.
   */
  readonly afterWrite?: (
    tx: WriteTx,
    change: { readonly historyId: string; readonly version: number },
  ) => Promise<void>;
}

/** The service plus the transaction-level change used by triggers. */
export interface FlagServiceInternals extends FlagService {
  /**
   * Runs `propose` inside a write transaction on the current document; `undefined` writes
   * nothing. A proposal equal to the current set writes nothing either (no version, no audit).
   */
  commit(
    service: string,
    environment: string,
    change: ChangeContext,
    propose: (current: FlagDocument, tx: WriteTx) => Promise<Proposal | undefined> | Proposal | undefined,
  ): Promise<{ document: FlagDocument; changed: boolean }>;
  /**
   * Looks at the store now for versions written by other processes: each one not seen before is
   * dropped from memory and announced to `onChange` listeners. The poll timer of `start()` calls
   * it; concurrent calls share one look.
   */
  sync(): Promise<void>;
  /** What the service holds in memory, for tests: it must not grow with the names asked for. */
  memory(): { sets: number; missing: number; loading: number; versions: number };
}

const setKey = (service: string, environment: string) => `${service}\0${environment}`;

/** Creates the flag service over the store. No timers run until {@link FlagService.start}. */
export function createFlagService(deps: FlagServiceDeps): FlagServiceInternals {
  const { store, audit, clock, events } = deps;
  const onError = deps.onError ?? (() => {});
  const counters = new EvaluationCounters(store, clock);
  const sets = new ServedSets(deps.cache);
  /** The version of each stored set as last seen here: as many entries as rows in `flag_sets`. */
  const known = new Map<string, number>();
  const listeners = new Set<(service: string, environment: string) => void>();
  let timers: NodeJS.Timeout[] = [];

  const notify = (service: string, environment: string) => {
    for (const listener of listeners) {
      try {
        listener(service, environment);
      } catch (error) {
        onError(error);
      }
    }
  };

  const read = async (service: string, environment: string): Promise<ServedFlagSet> => {
    const stored = await flagTables.readSet(store.db, service, environment);
    const json = JSON.stringify(stored.document);
    return { document: stored.document, json, compiled: compileStored(stored.document) };
  };

  const served = (service: string, environment: string): ServedFlagSet | Promise<ServedFlagSet> =>
    sets.get(setKey(service, environment), () => read(service, environment));

  /**
   * Read-your-writes for a caller that knows a newer version exists: one look at this set's
   * stored version (a cheap indexed read, so asking for a version that does not exist costs no
   * more than that), and the newer set read, served and announced as the poll would.
   */
  const catchUp = async (service: string, environment: string): Promise<ServedFlagSet> => {
    const key = setKey(service, environment);
    const stored = await flagTables.versionOf(store.db, service, environment);
    const held = sets.version(key);
    if (held === undefined || stored > held) {
      sets.forget(key);
      if (known.get(key) !== stored) {
        known.set(key, stored);
        notify(service, environment);
      }
    }
    return served(service, environment);
  };

  const servedAtLeast = (
    service: string,
    environment: string,
    atLeast = 0,
  ): ServedFlagSet | Promise<ServedFlagSet> => {
    const current = served(service, environment);
    if (!(current instanceof Promise)) {
      return current.document.version >= atLeast ? current : catchUp(service, environment);
    }
    return current.then((set) => (set.document.version >= atLeast ? set : catchUp(service, environment)));
  };

  const evaluateIn = (set: ServedFlagSet, flag: string, context: EvaluationContext): EvaluationResult => {
    const compiled = set.compiled;
    const result = evaluate(compiled, flag, context, nowOf(compiled));
    if (result.variant !== undefined && compiled.flags.has(flag))
      counters.count(setKey(set.document.service, set.document.environment), flag, result.variant);
    return result;
  };

  const evaluateBulkIn = (
    set: ServedFlagSet,
    context: EvaluationContext,
    flags?: readonly string[],
  ): Record<string, EvaluationResult> => {
    const compiled = set.compiled;
    const options = nowOf(compiled);
    let results: Record<string, EvaluationResult>;
    if (flags === undefined) results = evaluateAll(compiled, context, options);
    else {
      results = Object.create(null) as Record<string, EvaluationResult>;
      for (const flag of flags) results[flag] = evaluate(compiled, flag, context, options);
    }
    const key = setKey(set.document.service, set.document.environment);
    for (const [flag, result] of Object.entries(results))
      if (result.variant !== undefined && compiled.flags.has(flag)) counters.count(key, flag, result.variant);
    return results;
  };

  const nowOf = (set: CompiledFlagSet): EvaluateOptions | undefined =>
    set.timeDependent ? { now: clock.now().getTime() } : undefined;

  const commit: FlagServiceInternals['commit'] = async (service, environment, change, propose) => {
    const outcome = await store.write(async (tx) => {
      const current = (await flagTables.readSet(tx, service, environment)).document;
      if (change.ifMatch !== undefined && !etagMatches(change.ifMatch, current.etag)) {
        throw conflict(service, environment, change.ifMatch, current);
      }
      const proposal = await propose(current, tx);
      if (proposal === undefined) return { document: current, changed: false as const };
      const definition = labelled(proposal.definition, service, environment);
      const compiled = compileFlagSetOrThrow(definition);
      const changes = changesBetween(current.definition, definition);
      if (isUnchanged(changes)) return { document: current, changed: false as const };
      const flags = [...changes.created, ...changes.updated, ...changes.deleted];
      const summary = proposal.summary ?? describeChanges(changes);
      const at = clock.now();
      const written = await flagTables.writeVersion(tx, current, definition, {
        at,
        actor: change.actor,
        action: proposal.action,
        flags,
        summary,
      });
      const version = written.document.version;
      await audit.append(
        {
          actor: change.actor,
          action: proposal.action,
          target:
            proposal.flag === undefined
              ? `flags:${service}/${environment}`
              : `flag:${service}/${environment}/${proposal.flag}`,
          where: change.where,
          details: {
            service,
            environment,
            ...(proposal.flag === undefined ? {} : { flag: proposal.flag }),
            version,
            summary,
            ...(proposal.flag === undefined ? changeLists(changes) : {}),
            ...proposal.details,
          },
        },
        tx,
      );
      await proposal.afterWrite?.(tx, { historyId: written.historyId, version });
      return {
        document: written.document,
        json: written.json,
        compiled,
        changes,
        summary,
        at,
        changed: true as const,
      };
    });
    if (!outcome.changed) return { document: outcome.document, changed: false };
    const { document, compiled, changes, summary, at } = outcome;
    const key = setKey(service, environment);
    sets.put(key, { document, json: JSON.stringify(document), compiled });
    known.set(key, document.version);
    notify(service, environment);
    announce(events, { service, environment, version: document.version, changes, summary, at, change });
    return { document, changed: true };
  };

  // Every version not seen before is news, on the first look too: a set may have been served
  // (the server answers before `start()`) and changed by another process before that look.
  // Listeners tolerate a repeat (the stream hub sends a subscriber only a version it lacks).
  let syncing: Promise<void> | undefined;
  const sync = (): Promise<void> => {
    syncing ??= (async () => {
      try {
        for (const row of await flagTables.versions(store.db)) {
          const key = setKey(row.service, row.environment);
          if (known.get(key) === row.version) continue;
          known.set(key, row.version);
          if (sets.version(key) !== row.version) sets.forget(key);
          notify(row.service, row.environment);
        }
      } finally {
        syncing = undefined;
      }
    })();
    return syncing;
  };

  return {
    commit,
    sync,
    memory: () => ({ ...sets.sizes, versions: known.size }),
    served: servedAtLeast,
    async document(service, environment) {
      return (await served(service, environment)).document;
    },
    evaluateIn,
    evaluateBulkIn,
    async evaluate(service, environment, flag, context) {
      return evaluateIn(await served(service, environment), flag, context);
    },
    async evaluateBulk(service, environment, context, flags) {
      return evaluateBulkIn(await served(service, environment), context, flags);
    },
    async countEvaluations(service, environment, evaluations) {
      const set = (await served(service, environment)).compiled;
      const key = setKey(service, environment);
      let counted = 0;
      let ignored = 0;
      for (const { flag, variant, count } of evaluations) {
        const variants = set.flags.has(flag) ? set.definition.flags[flag]?.variants : undefined;
        if (variants !== undefined && Object.hasOwn(variants, variant)) {
          counters.count(key, flag, variant, count);
          counted += count;
        } else {
          ignored += count; // a flag or variant deleted since the SDK counted it, or made up
        }
      }
      return { counted, ignored };
    },
    async replace(service, environment, definition, change) {
      return (await commit(service, environment, change, () => ({ definition, action: 'flags.apply' })))
        .document;
    },
    async setFlag(service, environment, flag, definition, change) {
      const { document } = await commit(service, environment, change, (current) => {
        const existed = Object.hasOwn(current.definition.flags, flag);
        return {
          definition: withFlag(current.definition, flag, definition as never),
          action: 'flag.set',
          flag,
          summary: `${existed ? 'changed' : 'created'} ${flag}`,
        };
      });
      return document;
    },
    async act(service, environment, flag, action, change) {
      const { document } = await commit(service, environment, change, (current) => {
        const mutation = applyAction(current.definition, flag, action, change.variant);
        return { definition: mutation.definition, action: `flag.${action}`, flag, summary: mutation.summary };
      });
      return document;
    },
    async check(service, environment, definition, flag) {
      const { document } = await served(service, environment);
      const proposed =
        flag === undefined ? definition : withFlag(document.definition, flag, definition as never);
      compileFlagSetOrThrow(labelled(proposed, service, environment));
      return { version: document.version, etag: document.etag };
    },
    async evaluationHours(service, environment, options) {
      return evaluationSeries(store, clock.now(), service, environment, options);
    },
    async history(service, environment, limit = 50) {
      return flagTables.history(store.db, service, environment, limit);
    },
    async overview(service): Promise<FlagOverview> {
      const environments = [];
      for (const environment of await flagTables.environmentsOf(store.db, service)) {
        const stored = await flagTables.readSet(store.db, service, environment);
        const activity = await flagTables.activity(store.db, service, environment);
        const flags: Record<string, NonNullable<ReturnType<typeof activity.get>>> = {};
        for (const key of Object.keys(stored.document.definition.flags))
          flags[key] = activity.get(key) ?? { changedAt: null, evaluatedAt: null, evaluations: {} };
        environments.push({ ...stored.document, updatedAt: stored.updatedAt, flags });
      }
      return { service, environments };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start() {
      if (timers.length > 0) return;
      sync().catch(onError); // at once: what was served before now may already be stale
      const flush = setInterval(() => counters.flush().catch(onError), deps.flushIntervalMs ?? 5000);
      const watch = setInterval(() => sync().catch(onError), deps.pollIntervalMs ?? 500);
      flush.unref();
      watch.unref();
      timers = [flush, watch];
    },
    flushCounts: () => counters.flush(),
    async close() {
      for (const timer of timers) clearInterval(timer);
      timers = [];
      await counters.flush().catch(onError);
    },
  };
}

/** A stored set compiled for serving: leniently, so a flag an older engine cannot read answers PARSE_ERROR. */
function compileStored(document: FlagDocument): CompiledFlagSet {
  const result = compileFlagSet(document.definition, { partial: true });
  if (result.ok) return result.flagSet;
  const empty = compileFlagSet(emptyDefinition(document.service, document.environment));
  if (!empty.ok) throw new FlowlineError('FLOWLINE_INTERNAL', 'The empty flag set does not compile.');
  return empty.flagSet;
}

function conflict(
  service: string,
  environment: string,
  ifMatch: string,
  current: FlagDocument,
): FlowlineError {
  return new FlowlineError(
    'FLOWLINE_FLAGS_CONFLICT',
    `The flags of ${service}/${environment} changed since they were read: If-Match ${ifMatch}, now version ${current.version} (ETag ${current.etag}).`,
    { hint: 'Read them again (`flowline flags plan`), review the difference, then apply again.' },
  );
}

function changeLists(changes: SetChanges) {
  return { created: changes.created, updated: changes.updated, deleted: changes.deleted };
}

function announce(
  events: EventBus,
  input: {
    service: string;
    environment: string;
    version: number;
    changes: SetChanges;
    summary: string;
    at: Date;
    change: ChangeContext;
  },
): void {
  const { service, environment, version, changes, summary, at, change } = input;
  const touched: [string, 'created' | 'updated' | 'deleted'][] = [
    ...changes.created.map((key) => [key, 'created'] as [string, 'created']),
    ...changes.updated.map((key) => [key, 'updated'] as [string, 'updated']),
    ...changes.deleted.map((key) => [key, 'deleted'] as [string, 'deleted']),
  ];
  if (touched.length === 0) touched.push(['*', 'updated']); // segments or set metadata only
  for (const [subject, kind] of touched) {
    events.emit({
      type: 'flag.changed',
      at: at.toISOString(),
      service,
      environment,
      subject,
      message: summary,
      data: { version, change: kind, actor: change.actor.name },
    });
  }
}
