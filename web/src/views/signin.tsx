import { useState } from 'preact/hooks';
import { ErrorBox } from '../components/status.js';
import { useSession } from '../session.js';

/**
 * Sign-in with an API token. The token goes once to `POST /v1/session`, which answers with an
 * HttpOnly cookie: the page never keeps the token, so a script on it could not read it back.
 */
export function SignIn(props: { readonly reason?: string | undefined }) {
  const { signIn } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(token.trim());
      setToken('');
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1>Sign in to Flowline</h1>
      {props.reason !== undefined && (
        <p class="notice" role="status">
          {props.reason}
        </p>
      )}
      <form onSubmit={submit}>
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <p class="hint">
          Create one with <code>flowline token create &lt;name&gt; --role read</code> (or <code>deploy</code>{' '}
          to act on releases and flags). The page keeps a session cookie, never the token.
        </p>
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {error !== undefined && <ErrorBox error={error} title="Sign-in failed" />}
    </main>
  );
}
