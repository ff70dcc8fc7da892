/**
 * A job's runs, newest first and live: status, trigger, attempt, start, duration, exit code;
 * dispatch a run with environment overrides (and an Idempotency-Key, so a double click
 * starts one run), cancel a run that has not finished.
 */
import { DataTable } from './data-table.tsx';
import { useState } from 'preact/hooks';
import { call, type Run } from '../api-client.ts';
import { usePoll } from '../use-poll.ts';
import { useAction } from '../use-action.ts';
import { linePairs } from '../recipe-form-model.ts';
import { StatusBadge } from './status-badge.tsx';
import { Field, fieldAria } from './field.tsx';
import { EmptyState, ErrorNotice, Loading } from './notice.tsx';

const ACTIVE = ['queued', 'starting', 'running'];

function duration(run: Run): string {
  if (!run.started_at) return '—';
  const ms = (run.finished_at ? Date.parse(run.finished_at) : Date.now()) - Date.parse(run.started_at);
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function RunsPanel({ jobId }: { jobId: string }) {
  const runs = usePoll(() => call<{ runs: Run[] }>('GET', `/api/jobs/${jobId}/runs`).then((r) => r.runs), 2000, [jobId]);
  const [env, setEnv] = useState('');
  const [command, setCommand] = useState('');
  const action = useAction();
  const { error, busy } = action;

  function dispatch(event: Event) {
    event.preventDefault();
    void action.run(async () => {
      const body: Record<string, unknown> = {};
      if (env.trim()) body.environment_variables = Object.fromEntries(linePairs(env));
      if (command.trim()) body.command = command;
      await call('POST', `/api/jobs/${jobId}/runs`, { body, headers: { 'idempotency-key': crypto.randomUUID() } });
      runs.reload();
    });
  }

  function cancel(run: Run) {
    void action.run(async () => {
      await call('POST', `/api/jobs/${jobId}/stop/${run.id}`);
      runs.reload();
    });
  }

  const envError = error?.details.filter((d) => d.path.includes('environment_variables')).map((d) => d.message).join('; ') || undefined;
  return (
    <div class="stack">
      <form class="card form" onSubmit={dispatch} aria-labelledby="dispatch-title">
        <h2 id="dispatch-title">Run now</h2>
        <ErrorNotice error={error} />
        <div class="form-grid">
          <Field id="run-env" label="Environment overrides" hint="One NAME=value per line, over the job's own." error={envError}>
            <textarea {...fieldAria('run-env', envError, 'One NAME=value per line, over the job\'s own.')} rows={2} value={env} onInput={(e) => setEnv(e.currentTarget.value)} />
          </Field>
          <Field id="run-command" label="Command override" hint="Empty: the job's command.">
            <textarea {...fieldAria('run-command', undefined, "Empty: the job's command.")} rows={2} value={command} onInput={(e) => setCommand(e.currentTarget.value)} />
          </Field>
        </div>
        <div class="actions">
          <button class="button primary" type="submit" disabled={busy}>
            {busy ? 'Dispatching…' : 'Dispatch run'}
          </button>
        </div>
      </form>
      <ErrorNotice error={runs.error} />
      {runs.loading && !runs.data ? (
        <Loading what="runs" />
      ) : !runs.data?.length ? (
        <EmptyState title="No runs yet." />
      ) : (
        <DataTable caption={'Runs, newest first'} columns={['Status', 'Trigger', 'Attempt', 'Started', 'Duration', 'Exit code', { label: 'Actions', hidden: true }]}>
              {runs.data.map((run) => (
                <tr key={run.id} data-run={run.id}>
                  <td>
                    <StatusBadge status={run.status} />
                    {run.reason && <div class="muted small">{run.reason}</div>}
                  </td>
                  <td>{run.trigger}</td>
                  <td>{run.attempt}</td>
                  <td>{run.started_at ? new Date(run.started_at).toLocaleString() : '—'}</td>
                  <td>{duration(run)}</td>
                  <td>{run.exit_code ?? '—'}</td>
                  <td>
                    {ACTIVE.includes(run.status) && (
                      <button type="button" class="button small" onClick={() => cancel(run)}>
                        Cancel<span class="sr-only"> run {run.id}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
        </DataTable>
      )}
    </div>
  );
}
