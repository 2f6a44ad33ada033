import { useEffect, useRef, useState } from 'preact/hooks';
import { type LiveEvent, useLive } from './events.js';

export type Resource<T> =
  | { readonly kind: 'loading' }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'ready'; readonly value: T; readonly refreshing: boolean };

/**
 * Loads `load()` and loads it again when a live event matches `when` (at most once per 250 ms,
 * so a burst of events costs one request) or after a reconnection. A failed reload keeps the
 * last value on screen; the live status in the header says the server is away.
 */
export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  when: (event: LiveEvent) => boolean = () => false,
): Resource<T> & { reload(): void } {
  const live = useLive();
  const { subscribe } = live;
  const [state, setState] = useState<Resource<T>>({ kind: 'loading' });
  const [tick, setTick] = useState(0);
  const whenRef = useRef(when);
  whenRef.current = when;

  useEffect(() => {
    const controller = new AbortController();
    setState((previous) =>
      previous.kind === 'ready' ? { ...previous, refreshing: true } : { kind: 'loading' },
    );
    load(controller.signal).then(
      (value) => setState({ kind: 'ready', value, refreshing: false }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setState((previous) =>
          previous.kind === 'ready' ? { ...previous, refreshing: false } : { kind: 'error', error },
        );
      },
    );
    return () => controller.abort();
  }, [...deps, tick, live.epoch]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = subscribe((event) => {
      if (!whenRef.current(event) || timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        setTick((n) => n + 1);
      }, 250);
    });
    return () => {
      stop();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [subscribe]);

  return { ...state, reload: () => setTick((n) => n + 1) };
}
