/** The resource's Dask cluster: its status and addresses, its workers, and a control to scale them. */
import { useState } from 'preact/hooks';
import { call, type ApiError } from '../api-client.ts';
import { usePoll } from '../use-poll.ts';
import { Field, fieldAria } from './field.tsx';
import { ErrorNotice, Loading } from './notice.tsx';
import { StatusBadge } from './status-badge.tsx';

interface Dask {
  status: string;
  scheduler_address: string | null;
  dashboard_url: string | null;
  num_workers: number;
}

export function DaskPanel({ base }: { base: string }) {
  const dask = usePoll(() => call<Dask>('GET', `${base}/dask`), 3000, [base]);
  const [workers, setWorkers] = useState('');
  const [error, setError] = useState<ApiError | undefined>(undefined);

  async function scale(event: Event) {
    event.preventDefault();
    setError(undefined);
    try {
      await call('POST', `${base}/dask/scale`, { body: { num_workers: Number(workers) } });
      dask.reload();
    } catch (failure) {
      setError(failure as ApiError);
    }
  }

  if (dask.loading && !dask.data) return <Loading what="the Dask cluster" />;
  const scaleError = error?.at('num_workers') ?? error?.at('body.num_workers');
  return (
    <div class="stack">
      <ErrorNotice error={dask.error} />
      {dask.data && (
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <StatusBadge status={dask.data.status} />
          </dd>
          <dt>Workers</dt>
          <dd>{dask.data.num_workers}</dd>
          <dt>Scheduler</dt>
          <dd>{dask.data.scheduler_address ?? '—'}</dd>
          <dt>Dashboard</dt>
          <dd>{dask.data.dashboard_url ? <a href={dask.data.dashboard_url}>{dask.data.dashboard_url}</a> : '—'}</dd>
        </dl>
      )}
      <form class="inline-form" onSubmit={scale}>
        <ErrorNotice error={scaleError ? undefined : error} />
        <Field id="dask-workers" label="Workers" error={scaleError}>
          <input {...fieldAria('dask-workers', scaleError)} type="number" min={0} required value={workers} onInput={(e) => setWorkers(e.currentTarget.value)} />
        </Field>
        <button class="button" type="submit" disabled={workers === ''}>
          Scale
        </button>
      </form>
    </div>
  );
}
