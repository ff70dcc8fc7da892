import { useState } from 'preact/hooks';
import { signIn, type ApiError, type Me } from '../api-client.ts';
import { Field, fieldAria } from '../components/field.tsx';

/** Local sign-in: an API token, checked by the platform and kept in an HttpOnly cookie; this page forgets it at once. */
export function SignInPage({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    try {
      const me = await signIn(token.trim());
      setToken('');
      onSignedIn(me);
    } catch (failure) {
      setError(failure as ApiError);
    } finally {
      setBusy(false);
    }
  }

  const message = error ? (error.at('token') ?? error.message) : undefined;
  return (
    <main class="center">
      <form class="card sign-in" onSubmit={submit}>
        <h1>
          <span class="logo" aria-hidden="true" /> Sign in to Cassini
        </h1>
        <p class="muted">Paste an API token: the admin token printed when the platform first started (also in the data directory's admin-token file), or one issued to you.</p>
        <Field id="token" label="API token" error={message}>
          <input {...fieldAria('token', message)} type="password" autoComplete="off" required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        </Field>
        <button class="button primary wide" type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
