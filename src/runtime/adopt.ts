import { setTimeout as sleep } from 'node:timers/promises';
import type { InstanceRow } from '../store/index.js';
import { describeStop } from './errors.js';
import { probe } from './health.js';
import { Instance, type InstanceContext } from './instance.js';
import { findByEnv, isSameProcess, processInfo, supervisorAlive, terminateGroup } from './proc.js';
import type { LiveRevision, RuntimeRecords, StoredSpec } from './records.js';
import { NONCE_ENV } from './spawn.js';
import type { AdoptOptions, AdoptReport, InstanceStatus, RevisionSpec } from './types.js';
import { removeInstanceDir } from './workdir.js';

/**
 * Resolving what the store says runs after Flowline restarts. An instance is adopted only when
 * all hold: its revision finished starting, its recorded pid is alive, it is the same process
 * (boot id and start time, so a reused pid is not mistaken for it), and its health check passes.
 * Everything else is killed — found by process group and by the nonce in its environment, so
 * even a process whose pid was never recorded — and recorded as stopped with the reason.
 */

/** A revision taken over by this runtime. */
export interface AdoptedRevision {
  readonly key: string;
  readonly spec: RevisionSpec;
  readonly instances: Instance[];
}

export interface AdoptDeps {
  readonly records: RuntimeRecords;
  /** Where instances have their folders: a reaped instance's folder is removed. */
  readonly workRoot: string;
  /** This process, as recorded in `supervisor`. */
  readonly self: string;
  /** Keys this runtime supervises already. */
  readonly supervised: ReadonlySet<string>;
  readonly context: (key: string, spec: RevisionSpec, noRestart?: string) => InstanceContext;
  readonly now: () => string;
}

export async function adoptRecorded(
  deps: AdoptDeps,
  options: AdoptOptions,
): Promise<{ report: AdoptReport; revisions: AdoptedRevision[] }> {
  const adopted: InstanceStatus[] = [];
  const cleaned: { id: string; reason: string }[] = [];
  const skipped: { revisionKey: string; reason: string }[] = [];
  const summary: { key: string; expected: number; running: number }[] = [];
  const revisions: AdoptedRevision[] = [];

  for (const live of await deps.records.liveRevisions()) {
    const { row, spec: stored } = live;
    if (deps.supervised.has(row.key)) continue;
    const owner = row.supervisor;
    if (owner !== null && owner !== deps.self && supervisorAlive(owner)) {
      skipped.push({
        revisionKey: row.key,
        reason: `supervised by the live Flowline process ${owner.split('@')[0]}`,
      });
      continue;
    }
    if (row.state !== 'running') {
      const reason =
        row.state === 'starting' ? 'its revision never finished starting' : 'its revision was being stopped';
      cleaned.push(...(await reapRevision(deps, live, reason)));
      continue;
    }
    const { spec, noRestart } = await withSecrets(stored, options);
    const ctx = deps.context(row.key, spec, noRestart);
    const verdicts = await Promise.all(live.instances.map((instance) => judge(instance, stored)));
    const instances: Instance[] = [];
    await Promise.all(
      live.instances.map(async (instance, i) => {
        const verdict = verdicts[i];
        if (verdict === undefined || 'reason' in verdict) {
          const reason = verdict?.reason ?? 'unknown';
          await reapInstance(deps, instance, stored, reason);
          cleaned.push({ id: instance.id, reason });
          return;
        }
        const fields = { pid: verdict.pid, pgid: verdict.pgid, port: verdict.port };
        const facts = {
          identity: verdict.identity,
          restarts: instance.restarts,
          startedAt: instance.started_at,
        };
        instances.push(Instance.adopted(ctx, { ...instance, ...fields }, facts));
      }),
    );
    instances.sort((a, b) => a.id.localeCompare(b.id));
    if (instances.length === 0) {
      await deps.records.updateRevision(row.key, { state: 'stopped' });
      continue;
    }
    await deps.records.updateRevision(row.key, { supervisor: deps.self });
    for (const instance of instances) {
      await deps.records.updateInstance(instance.id, { state: 'healthy', last_error: null });
    }
    adopted.push(...instances.map((instance) => instance.status()));
    summary.push({ key: row.key, expected: stored.instances, running: instances.length });
    revisions.push({ key: row.key, spec, instances });
  }
  return { report: { adopted, cleaned, skipped, revisions: summary }, revisions };
}

/**
 * Kills whatever is left of every recorded instance of a revision that nobody supervises and
 * records the revision stopped. Used by `adopt`, and by `start`/`stop` of such a revision.
 */
export async function reapRevision(
  deps: Pick<AdoptDeps, 'records' | 'now' | 'workRoot'>,
  live: LiveRevision,
  reason: string,
): Promise<{ id: string; reason: string }[]> {
  await Promise.all(live.instances.map((instance) => reapInstance(deps, instance, live.spec, reason)));
  await deps.records.updateRevision(live.row.key, { state: 'stopped' });
  return live.instances.map((instance) => ({ id: instance.id, reason }));
}

async function reapInstance(
  deps: Pick<AdoptDeps, 'records' | 'now' | 'workRoot'>,
  row: InstanceRow,
  spec: StoredSpec,
  reason: string,
): Promise<void> {
  const groups = new Set<number>();
  if (
    row.pid !== null &&
    row.pgid !== null &&
    row.proc_start !== null &&
    isSameProcess(row.pid, row.proc_start)
  ) {
    groups.add(row.pgid);
  }
  // Children that outlived their group leader, or a process whose pid was never recorded.
  for (const found of findByEnv(NONCE_ENV, row.nonce)) groups.add(found.pgid);
  const results = await Promise.all(
    [...groups].map((pgid) => terminateGroup(pgid, spec.shutdown.signal, spec.shutdown.gracePeriod)),
  );
  const killed = results.some((r) => r.killed);
  await removeInstanceDir(deps.workRoot, row.id);
  const lastExit = results.length === 0 ? {} : { last_exit: describeStop(killed, spec.shutdown.signal) };
  await deps.records.updateInstance(row.id, {
    state: 'stopped',
    stopped_at: deps.now(),
    last_error: reason,
    ...lastExit,
  });
}

type Verdict = { pid: number; pgid: number; port: number; identity: string } | { reason: string };

async function judge(row: InstanceRow, spec: StoredSpec): Promise<Verdict> {
  const { pid, pgid, port, proc_start: identity } = row;
  if (pid === null || pgid === null || port === null || identity === null) {
    return { reason: 'its process id was never recorded (Flowline stopped while spawning it)' };
  }
  const info = processInfo(pid);
  if (info === undefined) return { reason: `its process ${pid} is gone` };
  if (info.identity !== identity) return { reason: `pid ${pid} now belongs to another process` };
  const { health } = spec;
  let last = '';
  for (let attempt = 1; attempt <= Math.max(1, health.failureThreshold); attempt++) {
    if (attempt > 1) await sleep(health.interval);
    const result = await probe(port, health);
    if (result.ok) return { pid, pgid, port, identity };
    last = result.detail;
  }
  return { reason: `its health check fails: ${last}` };
}

async function withSecrets(
  stored: StoredSpec,
  options: AdoptOptions,
): Promise<{ spec: RevisionSpec; noRestart?: string }> {
  const { secretNames, ...rest } = stored;
  if (secretNames.length === 0) return { spec: rest };
  let secrets: Readonly<Record<string, string>> | undefined;
  let why = 'were not given to adopt()';
  try {
    secrets = await options.secrets?.({
      service: stored.service,
      environment: stored.environment,
      revision: stored.revision,
      names: secretNames,
    });
  } catch (error) {
    why = `could not be read: ${(error as Error).message}`;
  }
  if (secrets !== undefined) return { spec: { ...rest, secrets } };
  return { spec: rest, noRestart: `its secrets (${secretNames.join(', ')}) ${why}` };
}
