import { type ComponentChildren, createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { announceUnauthorized, api } from '../api/client.js';
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
    let source: EventSource | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
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
    // The browser retries a lost connection by itself, but gives up for good on an error answer
    // (a 401 once the session ended, a 503 while the server shuts down). Then ask whether the
    // session still holds: if not, the page returns to sign-in and says why; if so, connect again.
    const recheck = async () => {
      try {
        const answer = await api<{ session: unknown }>('/v1/session');
        if (answer.session === null) return announceUnauthorized();
      } catch {
        // The server is away: try again below.
      }
      if (!stopped) connect();
    };
    const connect = () => {
      const current = new EventSource('/v1/events');
      source = current;
      current.onopen = () => {
        setStatus('live');
        if (wasDown) setEpoch((n) => n + 1);
        wasDown = false;
      };
      current.onerror = () => {
        wasDown = true;
        setStatus('down');
        if (current.readyState === EventSource.CLOSED && !stopped)
          retry = setTimeout(() => void recheck(), 2000);
      };
      current.onmessage = deliver;
      for (const type of EVENT_TYPES) current.addEventListener(type, deliver);
    };
    connect();
    return () => {
      stopped = true;
      if (retry !== undefined) clearTimeout(retry);
      source?.close();
    };
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
