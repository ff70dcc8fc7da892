/** Users (admin only): create one and issue its first token (shown once). */
import { DataTable } from '../components/data-table.tsx';
import { useState } from 'preact/hooks';
import { ApiError, call } from '../api-client.ts';
import { usePoll } from '../use-poll.ts';
import { Field, fieldAria } from '../components/field.tsx';
import { EmptyState, ErrorNotice, Loading } from '../components/notice.tsx';
import { NewToken } from '../components/new-token.tsx';
import { commaList } from '../components/catalog-table.tsx';

interface UserInfo {
  username: string;
  email?: string | null;
  groups?: string[];
  admin?: boolean;
}

/** The user list (Saturn's `GET /api/users`); an installation without that route yet shows only what is created here. */
async function listUsers(): Promise<UserInfo[] | undefined> {
  try {
    return (await call<{ users: UserInfo[] }>('GET', '/api/users?page_size=1000')).users;
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 404) return undefined;
    throw failure;
  }
}

export function UsersPage() {
  const users = usePoll(listUsers, 0);
  const [form, setForm] = useState({ username: '', email: '', groups: '', admin: false });
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [issued, setIssued] = useState<{ token: string; expires_at: string } | undefined>(undefined);
  const [created, setCreated] = useState<UserInfo[]>([]);

  async function create(event: Event) {
    event.preventDefault();
    setError(undefined);
    try {
      const body = { username: form.username.trim(), ...(form.email.trim() ? { email: form.email.trim() } : {}), groups: commaList(form.groups), admin: form.admin };
      const user = await call<UserInfo>('POST', '/api/users', { body });
      setIssued(await call('POST', `/api/users/${encodeURIComponent(user.username)}/tokens`, { body: {} }));
      setCreated([user, ...created]);
      setForm({ username: '', email: '', groups: '', admin: false });
      users.reload();
    } catch (failure) {
      setError(failure as ApiError);
    }
  }

  const at = (key: string) => error?.at(key) ?? error?.at(`body.${key}`);
  const list = users.data ?? created;
  return (
    <section aria-labelledby="users-title">
      <div class="page-head">
        <h1 id="users-title">Users</h1>
      </div>
      <ErrorNotice error={users.error} />
      {issued && <NewToken token={issued.token} expiresAt={issued.expires_at} onDone={() => setIssued(undefined)} />}
      {users.loading && !users.data ? (
        <Loading what="users" />
      ) : list.length === 0 ? (
        <EmptyState title="No users listed yet." />
      ) : (
        <DataTable caption={'Users'} columns={['Username', 'Email', 'Groups', 'Admin']}>
              {list.map((u) => (
                <tr key={u.username}>
                  <td>{u.username}</td>
                  <td>{u.email ?? '—'}</td>
                  <td>{u.groups?.join(', ') || '—'}</td>
                  <td>{u.admin ? 'yes' : 'no'}</td>
                </tr>
              ))}
        </DataTable>
      )}
      <form class="card form" onSubmit={create} aria-labelledby="new-user-title">
        <h2 id="new-user-title">New user</h2>
        <ErrorNotice error={error} />
        <div class="form-grid">
          <Field id="user-username" label="Username" error={at('username')}>
            <input {...fieldAria('user-username', at('username'))} required value={form.username} onInput={(e) => setForm({ ...form, username: e.currentTarget.value })} />
          </Field>
          <Field id="user-email" label="Email" error={at('email')}>
            <input {...fieldAria('user-email', at('email'))} type="email" value={form.email} onInput={(e) => setForm({ ...form, email: e.currentTarget.value })} />
          </Field>
          <Field id="user-groups" label="Groups" hint="Comma-separated; new groups are created." error={at('groups')}>
            <input {...fieldAria('user-groups', at('groups'), 'Comma-separated; new groups are created.')} value={form.groups} onInput={(e) => setForm({ ...form, groups: e.currentTarget.value })} />
          </Field>
          <label class="check">
            <input type="checkbox" checked={form.admin} onChange={(e) => setForm({ ...form, admin: e.currentTarget.checked })} /> Administrator
          </label>
        </div>
        <div class="actions">
          <button class="button primary" type="submit" disabled={!form.username.trim()}>
            Create user and token
          </button>
        </div>
      </form>
    </section>
  );
}
