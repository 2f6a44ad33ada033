import { type ComponentChildren, createContext } from 'preact';
import { useCallback, useContext, useEffect, useState } from 'preact/hooks';
import { ApiError, api, onUnauthorized, setCsrfToken } from './api/client.js';

export type Role = 'client' | 'read' | 'ci' | 'deploy' | 'admin';

/** Who is signed in: the API token's identity, as `POST /v1/session` answers it. */
export interface SessionInfo {
  readonly actor: { readonly kind: string; readonly name: string };
  readonly role: Role;
  /** Environments the token may act on; null means all. */
  readonly environments: readonly string[] | null;
  readonly expiresAt: string;
}

interface SessionAnswer {
  readonly session: SessionInfo;
  readonly csrfToken: string;
}

/** `GET /v1/session`: the session, or none and why (a page asks at every load: not an error). */
type SessionProbe =
  | SessionAnswer
  | { readonly session: null; readonly csrfToken: null; readonly reason: { readonly code: string } };

export type SessionState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'signedOut'; readonly reason?: string }
  | { readonly kind: 'signedIn'; readonly session: SessionInfo };

interface SessionContextValue {
  readonly state: SessionState;
  signIn(token: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionContextValue | undefined>(undefined);

/** What each role includes besides itself: client < read < {ci, deploy} < admin (src/auth/authorize.ts). */
const INCLUDES: Readonly<Record<Role, readonly Role[]>> = {
  client: [],
  read: ['client'],
  ci: ['read', 'client'],
  deploy: ['read', 'client'],
  admin: ['ci', 'deploy', 'read', 'client'],
};

/**
 * Whether the signed-in token may do what needs `role` (in `environment`, if given), by the
 * server's rule, so the page never offers an action the API would refuse. The API checks again:
 * hiding a button is a courtesy, not the protection.
 */
export function allows(session: SessionInfo, role: Role, environment?: string): boolean {
  if (session.role !== role && !INCLUDES[session.role].includes(role)) return false;
  const scope = session.environments;
  if (scope === null) return true;
  if (environment === undefined) return role !== 'admin';
  return scope.includes(environment);
}

/** Holds the session: read once on load, changed by sign-in and sign-out, lost on any 401. */
export function SessionProvider(props: { readonly children: ComponentChildren }) {
  const [state, setState] = useState<SessionState>({ kind: 'loading' });

  useEffect(() => {
    api<SessionProbe>('/v1/session').then(
      (answer) => {
        if (answer.session === null) {
          setState(
            answer.reason.code === 'FLOWLINE_SESSION_EXPIRED'
              ? {
                  kind: 'signedOut',
                  reason: 'Your session ended (expired, or its token was revoked). Sign in again.',
                }
              : { kind: 'signedOut' },
          );
          return;
        }
        setCsrfToken(answer.csrfToken);
        setState({ kind: 'signedIn', session: answer.session });
      },
      (error: unknown) =>
        setState({
          kind: 'signedOut',
          reason:
            error instanceof ApiError
              ? `${error.code}: ${error.message}`
              : 'The Flowline server cannot be reached. Reload the page when it is back.',
        }),
    );
    return onUnauthorized(() => {
      setCsrfToken(undefined);
      setState({
        kind: 'signedOut',
        reason: 'Your session ended (expired, or its token was revoked). Sign in again.',
      });
    });
  }, []);

  const signIn = useCallback(async (token: string) => {
    const answer = await api<SessionAnswer>('/v1/session', {
      method: 'POST',
      body: { token },
      quiet401: true,
    });
    setCsrfToken(answer.csrfToken);
    setState({ kind: 'signedIn', session: answer.session });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api('/v1/session', { method: 'DELETE' });
    } finally {
      setCsrfToken(undefined);
      setState({ kind: 'signedOut' });
    }
  }, []);

  return (
    <SessionContext.Provider value={{ state, signIn, signOut }}>{props.children}</SessionContext.Provider>
  );
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (value === undefined) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in session; only for views rendered behind the sign-in gate. */
export function useSignedIn(): SessionInfo {
  const { state } = useSession();
  if (state.kind !== 'signedIn') throw new Error('useSignedIn outside the sign-in gate');
  return state.session;
}
