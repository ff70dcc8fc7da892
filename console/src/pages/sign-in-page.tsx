import { useState } from 'preact/hooks';
import { signIn, type ApiError, type Me } from '../api-client.ts';
import { Field, fieldAria } from '../components/field.tsx';

/** Local sign-in (on AWS, a button to Cognito's hosted sign-in instead): an API token, checked by the platform and kept in an HttpOnly cookie; this page forgets it at once. */
export function SignInPage({ onSignedIn, onCognito }: { onSignedIn: (me: Me) => void; onCognito?: () => void }) {
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
  if (onCognito) {
    return (
      <main class="center">
        <div class="card sign-in">
          <h1>
            <span class="logo" aria-hidden="true" /> Sign in to Cassini
          </h1>
          <p class="muted">Sign in with your Cassini account (user name, password and authenticator code).</p>
          <button class="button primary wide" type="button" onClick={onCognito}>
            Continue to sign-in
          </button>
        </div>
      </main>
    );
  }
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
