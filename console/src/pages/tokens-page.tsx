/** The caller's API tokens: issue one (shown once), and revoke. */
import { DataTable } from '../components/data-table.tsx';
import { useState } from 'preact/hooks';
import { call, type Me, type ApiError } from '../api-client.ts';
import { usePoll } from '../use-poll.ts';
import { EmptyState, ErrorNotice, Loading } from '../components/notice.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { NewToken } from '../components/new-token.tsx';

interface TokenInfo {
  id: string;
  created_at?: string;
  expires_at?: string;
  last_used_at?: string | null;
  scope?: string;
}

export function TokensPage({ me }: { me: Me }) {
  const tokens = usePoll(() => call<{ tokens: TokenInfo[] }>('GET', '/api/tokens').then((r) => r.tokens), 0);
  const [issued, setIssued] = useState<{ token: string; expires_at: string } | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);

  async function issue() {
    setError(undefined);
    try {
      setIssued(await call('POST', `/api/users/${encodeURIComponent(me.username)}/tokens`, { body: {} }));
      tokens.reload();
    } catch (failure) {
      setError(failure as ApiError);
    }
  }

  async function revoke(id: string) {
    try {
      await call('DELETE', `/api/tokens/${encodeURIComponent(id)}`);
      tokens.reload();
    } catch (failure) {
      setError(failure as ApiError);
    }
  }

  return (
    <section aria-labelledby="tokens-title">
      <div class="page-head">
        <h1 id="tokens-title">API tokens</h1>
        <button type="button" class="button primary" onClick={() => void issue()}>
          New token
        </button>
      </div>
      <p class="muted">Tokens sign in here, and work with curl, Saturn's sc client and SaturnConnection. Revoking one also revokes the tokens issued with it.</p>
      <ErrorNotice error={error ?? tokens.error} />
      {issued && <NewToken token={issued.token} expiresAt={issued.expires_at} onDone={() => setIssued(undefined)} />}
      {tokens.loading && !tokens.data ? (
        <Loading what="tokens" />
      ) : !tokens.data?.length ? (
        <EmptyState title="No tokens." />
      ) : (
        <DataTable caption={'Your tokens'} columns={['Token id', 'Created', 'Expires', 'Last used', { label: 'Actions', hidden: true }]}>
              {tokens.data.map((t) => (
                <tr key={t.id}>
                  <td>
                    <code>{t.id}</code>
                  </td>
                  <td>{t.created_at ? new Date(t.created_at).toLocaleString() : '—'}</td>
                  <td>{t.expires_at ? new Date(t.expires_at).toLocaleDateString() : '—'}</td>
                  <td>{t.last_used_at ? new Date(t.last_used_at).toLocaleString() : '—'}</td>
                  <td>
                    <ConfirmButton label="Revoke" danger confirmLabel="Revoke" question="Revoke this token? Whatever uses it (and tokens issued with it) stops working, this console session too if it is the one you signed in with." onConfirm={() => void revoke(t.id)} />
                  </td>
                </tr>
              ))}
        </DataTable>
      )}
    </section>
  );
}
