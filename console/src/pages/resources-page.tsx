/** Every workspace, deployment and job the caller may see, live (polled), with filters and search. */
import { DataTable } from '../components/data-table.tsx';
import { useState } from 'preact/hooks';
import { call, KINDS, openAppHref, type Recipe } from '../api-client.ts';
import { usePoll } from '../use-poll.ts';
import { href } from '../router.ts';
import { StatusBadge } from '../components/status-badge.tsx';
import { EmptyState, ErrorNotice, Loading } from '../components/notice.tsx';

/** How often the list asks again: statuses change as tasks start and stop. */
const REFRESH_MS = 2000;
const STATUSES = ['pending', 'running', 'stopping', 'stopped', 'error'];

async function allRecipes(): Promise<Recipe[]> {
  const recipes: Recipe[] = [];
  let next: string | null = null;
  do {
    const page: { recipes: Recipe[]; next_key: string | null } = await call('GET', `/api/recipes?page_size=1000${next ? `&next_key=${encodeURIComponent(next)}` : ''}`);
    recipes.push(...page.recipes);
    next = page.next_key;
  } while (next);
  return recipes;
}

export function ResourcesPage() {
  const list = usePoll(allRecipes, REFRESH_MS);
  const [type, setType] = useState('');
  const [status, setStatus] = useState('');
  const [search, setSearch] = useState('');

  const needle = search.trim().toLowerCase();
  const shown = (list.data ?? []).filter(
    (r) => (!type || r.type === type) && (!status || r.state.status === status) && (!needle || r.spec.name.includes(needle) || r.spec.owner.toLowerCase().includes(needle)),
  );

  return (
    <section aria-labelledby="resources-title">
      <div class="page-head">
        <h1 id="resources-title">Resources</h1>
        <a class="button primary" href={href('/new')}>
          New resource
        </a>
      </div>
      <div class="filters" role="search">
        <label>
          <span>Type</span>
          <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">All types</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Status</span>
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          <span>Search</span>
          <input type="search" placeholder="Name or owner" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
      </div>
      <ErrorNotice error={list.error} />
      {list.loading && !list.data ? (
        <Loading what="resources" />
      ) : shown.length === 0 ? (
        <EmptyState title={list.data?.length ? 'Nothing matches these filters.' : 'No workspaces, deployments or jobs yet.'}>
          {!list.data?.length && (
            <p>
              <a href={href('/new')}>Create one from a form</a> or paste a Saturn recipe.
            </p>
          )}
        </EmptyState>
      ) : (
        <DataTable caption={'Resources'} columns={['Name', 'Type', 'Owner', 'Status', { label: 'Size', wideOnly: true }, { label: 'URL', wideOnly: true }]} live>
              {shown.map((r) => (
                <tr key={r.state.id} data-resource={r.spec.name}>
                  <td>
                    <a href={href(`/resources/${r.type}/${r.state.id}`)}>{r.spec.name}</a>
                  </td>
                  <td>{r.type}</td>
                  <td>{r.spec.owner}</td>
                  <td>
                    <StatusBadge status={r.state.status} />
                  </td>
                  <td class="hide-narrow">{r.spec.instance_type ?? '—'}</td>
                  <td class="hide-narrow">
                    {r.state.url ? (
                      <a href={openAppHref(r.state.url)} target="_blank" rel="noopener noreferrer">
                        {r.state.url.replace(/^https?:\/\//, '').replace(/\/$/, '')}
                      </a>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
        </DataTable>
      )}
    </section>
  );
}
