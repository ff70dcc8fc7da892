/** Job runs: dispatch (with Idempotency-Key), list, read, cancel; and the job's pods and logs. */
import { logsQuery, podLogPage } from './pod-logs.ts';
import * as z from 'zod';
import type { RouteContext, RouteDefinition } from '../api-types.ts';
import { validate } from '../validation.ts';
import { envVarName } from '../../../shared/domain/recipe/fields.ts';
import { renderRun } from '../../../shared/app/job-run-service.ts';
import type { Run } from '../../../shared/domain/run/run-decider.ts';
import { ValidationError } from '../../../shared/domain/errors.ts';

export const dispatchBody = z.lazy(() => z.strictObject({
  environment_variables: z.record(envVarName, z.string()).nullish(),
  command: z.string().min(1).max(65536).nullish(),
}));

const pageQuery = z.lazy(() => z.object({
  next_key: z.string().optional(),
  page_size: z.coerce.number().int().min(1).max(1000).optional(),
}));

const HISTORY_RUNS = 100;

function idempotencyKey(context: RouteContext): string | undefined {
  const key = context.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (key.length < 1 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1 to 255 printable characters.', [{ path: 'header.idempotency-key', message: 'must be 1 to 255 printable characters' }]);
  }
  return key;
}

async function dispatch(context: RouteContext) {
  const input = validate(dispatchBody, context.body ?? {}, 'body');
  const overrides = {
    ...(input.command ? { command: input.command } : {}),
    ...(input.environment_variables ? { environment_variables: input.environment_variables } : {}),
  };
  const run = await context.services.runs.dispatch(context.user, context.params.id!, { overrides, idempotencyKey: idempotencyKey(context) });
  return { status: 202, body: { run: renderRun(run) } };
}

function pods(runs: Run[]) {
  return runs.flatMap((run) =>
    run.tasks.map((task) => ({
      pod_name: task.taskId,
      status: task.status === 'exited' ? (task.exitCode === 0 ? 'succeeded' : 'failed') : task.status === 'running' ? 'running' : 'pending',
      start_time: run.startedAt,
      end_time: task.status === 'exited' ? run.finishedAt ?? null : null,
      last_seen: run.finishedAt ?? run.startedAt ?? run.createdAt,
      run_id: run.id,
    })),
  );
}

export const jobRunRoutes: RouteDefinition[] = [
  {
    method: 'POST',
    path: '/api/jobs/{id}/runs',
    summary: 'Starts a run of the job, with optional command and environment overrides. The same Idempotency-Key within 24 h returns the same run.',
    access: 'user',
    body: dispatchBody,
    response: { status: 202, description: '{run}' },
    handle: dispatch,
  },
  {
    method: 'POST',
    path: '/api/jobs/{id}/start',
    summary: "Saturn Cloud's form of POST /api/jobs/{id}/runs: starts a run and answers, like every start, with the recipe (the run is in `Location`).",
    access: 'user',
    body: dispatchBody,
    response: { status: 200, description: 'The recipe with its new state.' },
    handle: async (context) => {
      const { body } = await dispatch(context);
      const recipe = await context.services.resources.getById(context.user, 'jobs', context.params.id!);
      return { status: 200, body: recipe, headers: { location: `/api/jobs/${context.params.id}/runs/${body.run.id}` } };
    },
  },
  {
    method: 'GET',
    path: '/api/jobs/{id}/runs',
    summary: "The job's runs, newest first, every attempt included.",
    access: 'user',
    query: pageQuery,
    response: { status: 200, description: '{runs, next_key}' },
    handle: async (context) => {
      const q = validate(pageQuery, context.query, 'query');
      const page = await context.services.runs.listRuns(context.user, context.params.id!, q.page_size ?? 100, q.next_key);
      return { status: 200, body: { runs: page.runs.map(renderRun), next_key: page.cursor } };
    },
  },
  {
    method: 'GET',
    path: '/api/jobs/{id}/runs/{run_id}',
    summary: 'One run.',
    access: 'user',
    response: { status: 200, description: '{run}' },
    handle: async (context) => ({ status: 200, body: { run: renderRun(await context.services.runs.getRun(context.user, context.params.id!, context.params.run_id!)) } }),
  },
  {
    method: 'POST',
    path: '/api/jobs/{id}/stop/{run_id}',
    summary: 'Cancels one run: its tasks are stopped.',
    access: 'user',
    response: { status: 200, description: '{run}' },
    handle: async (context) => ({ status: 200, body: { run: renderRun(await context.services.runs.cancel(context.user, context.params.id!, context.params.run_id!)) } }),
  },
  {
    method: 'GET',
    path: '/api/jobs/{id}/history',
    summary: "The job's pods (one per task of each run), newest first.",
    access: 'user',
    response: { status: 200, description: '{pods}' },
    handle: async (context) => {
      const page = await context.services.runs.listRuns(context.user, context.params.id!, HISTORY_RUNS);
      return { status: 200, body: { pods: pods(page.runs) } };
    },
  },
  {
    method: 'GET',
    path: '/api/jobs/{id}/runtimesummary',
    summary: 'The pods of the runs going on now.',
    access: 'user',
    response: { status: 200, description: '{pod_summaries}' },
    handle: async (context) => {
      const page = await context.services.runs.listRuns(context.user, context.params.id!, HISTORY_RUNS);
      const active = page.runs.filter((r) => ['queued', 'starting', 'running'].includes(r.status));
      const summaries = pods(active).map((p) => ({ name: p.pod_name, status: p.status, started_at: p.start_time, completed_at: p.end_time, labels: { run: p.run_id } }));
      return { status: 200, body: { pod_summaries: summaries } };
    },
  },
  {
    method: 'GET',
    path: '/api/jobs/{id}/logs',
    summary: "A pod's logs (pod_name), or the newest run's first pod's, a page at a time.",
    access: 'user',
    query: logsQuery,
    response: { status: 200, description: '{logs, next_key}: logs the text (Saturn), or with format=lines the lines' },
    handle: async (context) => {
      const q = validate(logsQuery, context.query, 'query');
      const page = await context.services.runs.listRuns(context.user, context.params.id!, HISTORY_RUNS);
      const names = new Set(pods(page.runs).map((p) => p.pod_name));
      const pod = q.pod_name ?? page.runs.find((r) => r.tasks.length > 0)?.tasks[0]?.taskId;
      return { status: 200, body: await podLogPage(context, pod !== undefined && names.has(pod) ? pod : undefined, q.next_key, q.format) };
    },
  },
];
