/**
 * Acting on a resource by id: `/api/{kind}/{id}/...` where kind is workspaces, deployments
 * or jobs.
 */
import * as z from 'zod';
import type { RouteContext, RouteDefinition } from '../api-types.ts';
import { validate } from '../validation.ts';
import { KIND_TYPES, type Kind, type LifecycleAction } from '../../../shared/app/resource-service.ts';
import { NotFoundError } from '../../../shared/domain/errors.ts';
import { cronSchedule } from '../../../shared/domain/recipe/fields.ts';
import { wantsYaml } from './recipe-routes.ts';
import type { Pod } from '../../../shared/domain/resource/service-replicas.ts';
import { logsQuery, podLogPage } from './pod-logs.ts';

export const patchJobBody = z.lazy(() => z.strictObject({
  cron_schedule_options: z.strictObject({
    schedule: cronSchedule.nullable(),
    concurrency_policy: z.enum(['Allow', 'Forbid', 'Replace']).optional(),
  }),
}));

export const eventsQuery = z.lazy(() => z.object({
  after_version: z.coerce.number().int().min(0).optional(),
  next_key: z.string().regex(/^\d+$/, 'must be a next_key this server issued').optional(),
  page_size: z.coerce.number().int().min(1).max(1000).optional(),
}));

function kindOf(context: RouteContext): Kind {
  const kind = context.params.kind!;
  if (!(kind in KIND_TYPES)) throw new NotFoundError(`There is no resource kind "${kind}"; use workspaces, deployments or jobs.`);
  return kind as Kind;
}

function lifecycle(action: LifecycleAction, summary: string): RouteDefinition {
  return {
    method: 'POST',
    path: `/api/{kind}/{id}/${action}`,
    summary,
    access: 'user',
    response: { status: 200, description: 'The recipe with its new state.' },
    handle: async (context) => {
      const recipe = await context.services.resources.act(context.user, kindOf(context), context.params.id!, action);
      return { status: 200, body: recipe };
    },
  };
}

function renderPod(pod: Pod) {
  return {
    pod_name: pod.name,
    status: pod.status,
    start_time: pod.startedAt,
    end_time: pod.endedAt,
    last_seen: pod.lastSeen,
    revision: pod.revision,
    ...(pod.exitCode !== null ? { exit_code: pod.exitCode } : {}),
    ...(pod.reason ? { reason: pod.reason } : {}),
  };
}

/**
 * Pods of deployments and workspaces: their replicas, as the runtime reported them (jobs have
 * routes of their own in job-run-routes.ts, built from their runs).
 */
const podRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/api/{kind}/{id}/history',
    summary: 'Pods (replicas) that ran for the resource, newest first.',
    access: 'user',
    response: { status: 200, description: '{pods}' },
    handle: async (context) => {
      const pods = await context.services.resources.pods(context.user, kindOf(context), context.params.id!);
      return { status: 200, body: { pods: pods.map(renderPod) } };
    },
  },
  {
    method: 'GET',
    path: '/api/{kind}/{id}/runtimesummary',
    summary: 'The pods (replicas) of the resource that run now.',
    access: 'user',
    response: { status: 200, description: '{pod_summaries}' },
    handle: async (context) => {
      const pods = await context.services.resources.pods(context.user, kindOf(context), context.params.id!);
      const live = pods.filter((p) => p.endedAt === null);
      return {
        status: 200,
        body: { pod_summaries: live.map((p) => ({ name: p.name, status: p.status, started_at: p.startedAt, completed_at: null, labels: { revision: String(p.revision) } })) },
      };
    },
  },
  {
    method: 'GET',
    path: '/api/{kind}/{id}/logs',
    summary: "A pod's logs (pod_name), or the newest pod's, a page at a time.",
    access: 'user',
    query: logsQuery,
    response: { status: 200, description: '{logs, next_key}: logs the text (Saturn), or with format=lines the lines' },
    handle: async (context) => {
      const q = validate(logsQuery, context.query, 'query');
      const pods = await context.services.resources.pods(context.user, kindOf(context), context.params.id!);
      const pod = q.pod_name ?? pods[0]?.name;
      const known = pod !== undefined && pods.some((p) => p.name === pod);
      return { status: 200, body: await podLogPage(context, known ? pod : undefined, q.next_key, q.format) };
    },
  },
];

export const resourceRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/api/{kind}/{id}',
    summary: 'One resource by id, as its recipe.',
    access: 'user',
    response: { status: 200, description: 'The recipe.' },
    handle: async (context) => ({
      status: 200,
      body: await context.services.resources.getById(context.user, kindOf(context), context.params.id!),
      yaml: wantsYaml(context.headers),
    }),
  },
  lifecycle('start', 'Asks for the resource to run; a running resource stays as it is.'),
  lifecycle('stop', 'Asks for the resource to stop; a stopped resource stays as it is.'),
  lifecycle('restart', 'Restarts a running resource, or starts a stopped one.'),
  {
    method: 'DELETE',
    path: '/api/{kind}/{id}',
    summary: 'Stops and deletes the resource and frees its name; its events stay readable.',
    access: 'user',
    response: { status: 204, description: 'Deleted.' },
    handle: async (context) => {
      await context.services.resources.delete(context.user, kindOf(context), context.params.id!);
      return { status: 204 };
    },
  },
  {
    method: 'PATCH',
    path: '/api/jobs/{id}',
    summary: "Sets a job's schedule (null removes it) and concurrency policy.",
    access: 'user',
    body: patchJobBody,
    response: { status: 200, description: 'The recipe.' },
    handle: async ({ user, params, body, services }) => {
      const input = validate(patchJobBody, body ?? {}, 'body');
      const { schedule, concurrency_policy } = input.cron_schedule_options;
      return { status: 200, body: await services.resources.setSchedule(user, params.id!, schedule, concurrency_policy) };
    },
  },
  {
    method: 'POST',
    path: '/api/jobs/{id}/schedule',
    summary: "Resumes a job's suspended schedule.",
    access: 'user',
    response: { status: 200, description: 'The recipe.' },
    handle: async ({ user, params, services }) => ({ status: 200, body: await services.resources.setScheduleSuspended(user, params.id!, false) }),
  },
  {
    method: 'POST',
    path: '/api/jobs/{id}/unschedule',
    summary: "Suspends a job's schedule; the schedule is kept.",
    access: 'user',
    response: { status: 200, description: 'The recipe.' },
    handle: async ({ user, params, services }) => ({ status: 200, body: await services.resources.setScheduleSuspended(user, params.id!, true) }),
  },
  ...podRoutes,
  {
    method: 'GET',
    path: '/api/{kind}/{id}/events',
    summary: "The resource's domain events, oldest first: its audit log. Readable after delete.",
    access: 'user',
    query: eventsQuery,
    response: { status: 200, description: '{events, next_key}' },
    handle: async (context) => {
      const q = validate(eventsQuery, context.query, 'query');
      const after = q.next_key !== undefined ? Number(q.next_key) : (q.after_version ?? 0);
      const page = await context.services.resources.events(context.user, kindOf(context), context.params.id!, after, q.page_size ?? 100);
      return { status: 200, body: { events: page.events, next_key: page.nextAfter === null ? null : String(page.nextAfter) } };
    },
  },
];
