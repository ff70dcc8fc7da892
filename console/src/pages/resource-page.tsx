/**
 * One resource: its status and reason, start / stop / restart / delete, its URL, and tabs for
 * the recipe (form and YAML), pods, logs, events, and for jobs the runs and schedule, and
 * the Dask cluster when it has one.
 */
import { DataTable } from '../components/data-table.tsx';
import { useState } from 'preact/hooks';
import { call, openAppHref, PLURAL, type Kind, type Recipe, type ApiError } from '../api-client.ts';
import { usePoll } from '../use-poll.ts';
import { href, navigate } from '../router.ts';
import { StatusBadge } from '../components/status-badge.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { EmptyState, ErrorNotice, Loading } from '../components/notice.tsx';
import { Tabs, type Tab } from '../components/tabs.tsx';
import { RecipeEditor } from '../components/recipe-editor.tsx';
import { LogsPanel } from '../components/logs-panel.tsx';
import { EventsTimeline } from '../components/events-timeline.tsx';
import { RunsPanel } from '../components/runs-panel.tsx';
import { DaskPanel } from '../components/dask-panel.tsx';

const REFRESH_MS = 1500;

function isKind(kind: string): kind is Kind {
  return kind === 'workspace' || kind === 'deployment' || kind === 'job';
}

interface Pod {
  pod_name: string;
  status: string;
  start_time?: string;
  end_time?: string;
}

function PodsPanel({ base }: { base: string }) {
  const pods = usePoll(() => call<{ pods: Pod[] }>('GET', `${base}/history`).then((h) => h.pods), 3000, [base]);
  if (pods.loading && !pods.data) return <Loading what="pods" />;
  if (!pods.data?.length) return <EmptyState title="No pods: it has not run yet." />;
  return (
    <DataTable caption={'Pods, newest first'} columns={['Pod', 'Status', 'Started', 'Ended']}>
          {pods.data.map((p) => (
            <tr key={p.pod_name}>
              <td>
                <code>{p.pod_name}</code>
              </td>
              <td>
                <StatusBadge status={p.status} />
              </td>
              <td>{p.start_time ? new Date(p.start_time).toLocaleString() : '—'}</td>
              <td>{p.end_time ? new Date(p.end_time).toLocaleString() : '—'}</td>
            </tr>
          ))}
    </DataTable>
  );
}

/** The job's schedule, and its next fire times shown in the schedule's own time zone. */
function Schedule({ recipe, onChanged }: { recipe: Recipe; onChanged(): void }) {
  const zone = recipe.spec.schedule_timezone || 'UTC';
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const format = (at: string) => {
    try {
      return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(new Date(at));
    } catch {
      return at;
    }
  };
  async function toggle(action: 'schedule' | 'unschedule') {
    try {
      await call('POST', `/api/jobs/${recipe.state.id}/${action}`);
      onChanged();
    } catch (failure) {
      setError(failure as ApiError);
    }
  }
  if (!recipe.spec.schedule) return <p class="muted">Not scheduled: it runs when dispatched. Set a cron schedule in the recipe.</p>;
  return (
    <div class="stack">
      <ErrorNotice error={error} />
      <p>
        <code>{recipe.spec.schedule}</code> in {zone}
      </p>
      {recipe.state.next_runs?.length ? (
        <>
          <h3>Next runs ({zone})</h3>
          <ol class="plain">
            {recipe.state.next_runs.map((at) => (
              <li key={at}>
                <time dateTime={at}>{format(at)}</time>
              </li>
            ))}
          </ol>
          <button class="button" type="button" onClick={() => void toggle('unschedule')}>
            Suspend schedule
          </button>
        </>
      ) : (
        <>
          <p class="muted">The schedule is suspended.</p>
          <button class="button" type="button" onClick={() => void toggle('schedule')}>
            Resume schedule
          </button>
        </>
      )}
    </div>
  );
}

export function ResourcePage({ kind, id }: { kind: string; id: string }) {
  const [tab, setTab] = useState('overview');
  const [actionError, setActionError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const valid = isKind(kind);
  const base = valid ? `/api/${PLURAL[kind]}/${encodeURIComponent(id)}` : '';
  const recipe = usePoll(() => call<Recipe>('GET', base), REFRESH_MS, [base]);
  const yaml = usePoll(() => call<string>('GET', base, { acceptYaml: true }), 0, [base, recipe.data?.state.version]);

  if (!valid) return <EmptyState title="There is no such kind of resource." />;
  if (recipe.loading && !recipe.data) return <Loading what="the resource" />;
  if (!recipe.data) {
    return (
      <>
        <ErrorNotice error={recipe.error} />
        <a href={href('/resources')}>Back to resources</a>
      </>
    );
  }
  const r = recipe.data;

  async function act(action: 'start' | 'stop' | 'restart' | 'delete') {
    setBusy(true);
    setActionError(undefined);
    try {
      if (action === 'delete') {
        await call('DELETE', base);
        navigate('/resources');
        return;
      }
      await call('POST', `${base}/${action}`);
      recipe.reload();
    } catch (failure) {
      setActionError(failure as ApiError);
    } finally {
      setBusy(false);
    }
  }

  const status = r.state.status;
  const active = status === 'running' || status === 'pending';
  const tabs: Tab[] = [
    {
      id: 'overview',
      label: 'Overview',
      content: (
        <div class="stack">
          <dl class="facts">
            <dt>Owner</dt>
            <dd>{r.spec.owner}</dd>
            <dt>Size</dt>
            <dd>{r.spec.instance_type ?? '—'}</dd>
            <dt>Image</dt>
            <dd>{r.spec.image ?? '—'}</dd>
            {r.spec.command !== undefined && (
              <>
                <dt>Command</dt>
                <dd>
                  <code>{r.spec.command}</code>
                </dd>
              </>
            )}
            <dt>Updated</dt>
            <dd>{new Date(r.state.updated_at).toLocaleString()}</dd>
          </dl>
          {kind === 'job' && (
            <section aria-labelledby="schedule-title">
              <h2 id="schedule-title">Schedule</h2>
              <Schedule recipe={r} onChanged={recipe.reload} />
            </section>
          )}
        </div>
      ),
    },
    ...(kind === 'job' ? [{ id: 'runs', label: 'Runs', content: <RunsPanel jobId={id} /> }] : [{ id: 'pods', label: 'Pods', content: <PodsPanel base={base} /> }]),
    { id: 'logs', label: 'Logs', content: <LogsPanel base={base} /> },
    { id: 'events', label: 'Events', content: <EventsTimeline base={base} /> },
    ...(r.spec.dask_cluster ? [{ id: 'dask', label: 'Dask', content: <DaskPanel base={base} /> }] : []),
    {
      id: 'recipe',
      label: 'Recipe',
      content: yaml.data === undefined ? <Loading what="the recipe" /> : <RecipeEditor key={`${r.state.version}`} kind={kind} recipe={r} yaml={yaml.data} onSaved={() => recipe.reload()} />,
    },
  ];

  return (
    <section aria-labelledby="resource-title">
      <p class="crumbs">
        <a href={href('/resources')}>Resources</a> / {kind}
      </p>
      <div class="page-head">
        <div>
          <h1 id="resource-title">{r.spec.name}</h1>
          <p class="status-line" aria-live="polite">
            <StatusBadge status={status} />
            {(r.state.reason ?? r.state.error) && <span class="reason">{r.state.reason ?? r.state.error}</span>}
          </p>
        </div>
        <div class="actions">
          {r.state.url && (
            <a class="button" href={openAppHref(r.state.url)} target="_blank" rel="noopener noreferrer">
              Open
            </a>
          )}
          {kind !== 'job' && (
            <>
              <button class="button primary" type="button" disabled={busy || active} onClick={() => void act('start')}>
                Start
              </button>
              <button class="button" type="button" disabled={busy || !active} onClick={() => void act('stop')}>
                Stop
              </button>
              <button class="button" type="button" disabled={busy} onClick={() => void act('restart')}>
                Restart
              </button>
            </>
          )}
          <ConfirmButton label="Delete" danger confirmLabel={`Delete ${r.spec.name}`} question={`Delete the ${kind} ${r.spec.name}? What runs stops and the name is freed; its events stay readable.`} onConfirm={() => void act('delete')} disabled={busy} />
        </div>
      </div>
      <ErrorNotice error={actionError} />
      <ErrorNotice error={recipe.error} />
      <Tabs label="Resource sections" tabs={tabs} selected={tab} onSelect={setTab} />
    </section>
  );
}
