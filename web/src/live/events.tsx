import { type ComponentChildren, createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { EVENT_TYPES } from './event-types.js';

/** One event of `GET /v1/events` (src/core/events.ts's FlowlineEvent, as the server relays it). */
export interface LiveEvent {
  readonly type: string;
  readonly at?: string;
  readonly service?: string;
  readonly environment?: string;
  readonly subject?: string;
  readonly message?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** `connecting` before the first open; `down` while the browser retries after a loss. */
export type LiveStatus = 'connecting' | 'live' | 'down';

type Listener = (event: LiveEvent) => void;

interface LiveContextValue {
  readonly status: LiveStatus;
  /** Bumped at every reconnection: views refetch, since events may have been missed meanwhile. */
  readonly epoch: number;
  subscribe(listener: Listener): () => void;
}

const LiveContext = createContext<LiveContextValue | undefined>(undefined);

/**
 * One EventSource for the whole page. The browser reconnects by itself (the server sends
 * `retry`); the status it reports is shown in the header, and each reconnection bumps `epoch`
 * so every open view reloads what it shows.
 */
export function LiveProvider(props: { readonly children: ComponentChildren }) {
  const listeners = useRef(new Set<Listener>());
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [epoch, setEpoch] = useState(0);

  useEffect(() => {
    const source = new EventSource('/v1/events');
    let wasDown = false;
    const deliver = (message: MessageEvent<string>) => {
      let event: LiveEvent;
      try {
        event = { type: message.type, ...(JSON.parse(message.data) as Omit<LiveEvent, 'type'>) };
      } catch {
        return;
      }
      for (const listener of listeners.current) listener(event);
    };
    source.onopen = () => {
      setStatus('live');
      if (wasDown) setEpoch((n) => n + 1);
      wasDown = false;
    };
    source.onerror = () => {
      wasDown = true;
      setStatus('down');
    };
    source.onmessage = deliver;
    for (const type of EVENT_TYPES) source.addEventListener(type, deliver);
    return () => source.close();
  }, []);

  // Stable across renders, so subscribers do not resubscribe at every status change.
  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const value = useMemo(() => ({ status, epoch, subscribe }), [status, epoch, subscribe]);
  return <LiveContext.Provider value={value}>{props.children}</LiveContext.Provider>;
}

export function useLive(): LiveContextValue {
  const value = useContext(LiveContext);
  if (value === undefined) throw new Error('useLive outside LiveProvider');
  return value;
}
