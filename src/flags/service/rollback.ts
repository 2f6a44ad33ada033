import type { Where } from '../../audit/types.js';
import type { EventBus, FlowlineEvent } from '../../core/events.js';
import type { FlagServiceInternals } from './service.js';

/** Events that mean "this environment's release went wrong": flags marked `killOnRollback` die. */
export const ROLLBACK_EVENTS: ReadonlySet<string> = new Set([
  'deployment.failed',
  'deployment.rolledBack',
  'release.abort',
]);

/** The flag metadata key flowline.yaml's `killOnRollback: true` becomes (see desired.ts). */
export const KILL_ON_ROLLBACK = 'killOnRollback';

/**
 * Kills every flag whose metadata says `killOnRollback: true` in the environment of a failed,
 * rolled back or aborted release, each as its own audited change by `trigger:killOnRollback`.
 * Returns a handle to stop listening and to wait for the kills under way (tests, shutdown).
 */
export function killOnRollback(deps: {
  events: EventBus;
  flags: FlagServiceInternals;
  where: Where;
  onError?: (error: unknown) => void;
}): { stop(): void; idle(): Promise<void> } {
  const onError = deps.onError ?? (() => {});
  let pending: Promise<void> = Promise.resolve();
  const stop = deps.events.subscribe((event) => {
    if (!ROLLBACK_EVENTS.has(event.type) || event.environment === undefined) return;
    pending = pending.then(() => killAll(deps, event)).catch(onError);
  });
  return { stop, idle: () => pending };
}

async function killAll(
  deps: { flags: FlagServiceInternals; where: Where },
  event: FlowlineEvent & { environment?: string },
): Promise<void> {
  const { service } = event;
  const environment = event.environment as string;
  const { definition } = await deps.flags.document(service, environment);
  const marked = Object.entries(definition.flags)
    .filter(([, flag]) => flag.metadata?.[KILL_ON_ROLLBACK] === true && flag.killed !== true)
    .map(([key]) => key);
  const actor = { kind: 'user' as const, name: 'trigger:killOnRollback' };
  for (const key of marked) {
    await deps.flags.commit(service, environment, { actor, where: deps.where }, (current) => {
      const flag = Object.hasOwn(current.definition.flags, key) ? current.definition.flags[key] : undefined;
      if (flag === undefined || flag.killed === true) return undefined;
      return {
        definition: {
          ...current.definition,
          flags: { ...current.definition.flags, [key]: { ...flag, killed: true } },
        },
        action: 'flag.kill',
        flag: key,
        summary: `killed ${key}: ${event.type} of ${event.subject} (killOnRollback)`,
        details: { event: event.type, subject: event.subject },
      };
    });
  }
}
