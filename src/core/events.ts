/**
 * Flowline's in-process event bus: releases, deployments, the andon and flags announce what
 * happened here; notifications, metrics and live displays subscribe. Listeners must not throw
 * into the emitter: a failing listener is isolated so one bad subscriber cannot stall a deploy.
 */
export interface FlowlineEvent {
  /** Dotted type, e.g. `deployment.started`, `release.step.completed`, `release.aborted`. */
  readonly type: string;
  readonly at: string;
  readonly service: string;
  readonly environment?: string;
  /** The record the event is about (a deployment id, a run id, a flag key). */
  readonly subject: string;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export type EventListener = (event: FlowlineEvent) => void;

export interface EventBus {
  emit(event: FlowlineEvent): void;
  /** Returns an unsubscribe function. */
  subscribe(listener: EventListener): () => void;
}

export function createEventBus(onListenerError: (error: unknown) => void = () => {}): EventBus {
  const listeners = new Set<EventListener>();
  return {
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
