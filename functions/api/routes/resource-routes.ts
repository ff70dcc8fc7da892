/**
 * Acting on a resource by id: `/api/{kind}/{id}/...` where kind is workspaces, deployments
 * or jobs. Pods, history and logs are empty until the compute drivers run anything.
 */
import { z } from 'zod';
import type { RouteContext, RouteDefinition } from '../api-types.ts';
import { validate } from '../validation.ts';
import { KIND_TYPES, type Kind, type LifecycleAction } from '../../../shared/app/resource-service.ts';
import { NotFoundError } from '../../../shared/domain/errors.ts';
import { cronSchedule } from '../../../shared/domain/recipe/fields.ts';
import { wantsYaml } from './recipe-routes.ts';

export const patchJobBody = z.strictObject({
  cron_schedule_options: z.strictObject({
    schedule: cronSchedule.nullable(),
    concurrency_policy: z.enum(['Allow', 'Forbid', 'Replace']).optional(),
  }),
});

export const eventsQuery = z.object({
  after_version: z.coerce.number().int().min(0).optional(),
  next_key: z.string().regex(/^\d+$/, 'must be a next_key this server issued').optional(),
  page_size: z.coerce.number().int().min(1).max(1000).optional(),
});

const logsQuery = z.object({ pod_name: z.string().optional(), next_key: z.string().optional() });

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

/**
 * Pods, history and logs of a resource that has never run anything: until the compute drivers
 * land, that is every resource, so these answer with the contract's shape and no entries.
 */
function nothingRanYet(what: string, summary: string, body: Record<string, unknown>): RouteDefinition {
  return {
    method: 'GET',
    path: `/api/{kind}/{id}/${what}`,
    summary,
    access: 'user',
    response: { status: 200, description: `{${Object.keys(body).join(', ')}}` },
    handle: async (context) => {
      await context.services.resources.getById(context.user, kindOf(context), context.params.id!);
      return { status: 200, body };
    },
  };
}

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
  nothingRanYet('history', 'Pods that ran for the resource, newest first.', { pods: [] }),
  nothingRanYet('runtimesummary', 'What runs for the resource now.', { pod_summaries: [] }),
  { ...nothingRanYet('logs', "The resource's logs, a page at a time.", { logs: [], next_key: null }), query: logsQuery },
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
