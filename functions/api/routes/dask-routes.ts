/**
 * A resource's Dask cluster: `GET /api/{kind}/{id}/dask` describes it, `POST
 * /api/{kind}/{id}/dask/scale` sets its worker count. Both answer 409 for a resource whose
 * recipe attaches no `dask_cluster`.
 */
import * as z from 'zod';
import type { RouteContext, RouteDefinition } from '../api-types.ts';
import { validate } from '../validation.ts';
import { KIND_TYPES, type Kind } from '../../../shared/app/resource-service.ts';
import { NotFoundError } from '../../../shared/domain/errors.ts';
import { MAX_DASK_WORKERS } from '../../../shared/domain/resource/dask-cluster.ts';
import { NO_DASK_RUNTIME, type DaskService } from '../../../shared/app/dask-service.ts';

export const scaleBody = z.lazy(() => z.strictObject({
  num_workers: z.number().int().min(0).max(MAX_DASK_WORKERS).describe(`workers the cluster should have, 0 to ${MAX_DASK_WORKERS}`),
}));

const daskResponse = z.lazy(() => z.object({
  status: z.enum(['starting', 'running', 'stopped', 'unavailable', 'error']),
  scheduler_address: z.string().nullable(),
  dashboard_url: z.string().nullable(),
  num_workers: z.number().int(),
  running_workers: z.number().int().describe('extension: workers that run now'),
  reason: z.string().optional(),
}));

function kindOf(context: RouteContext): Kind {
  const kind = context.params.kind!;
  if (!(kind in KIND_TYPES)) throw new NotFoundError(`There is no resource kind "${kind}"; use workspaces, deployments or jobs.`);
  return kind as Kind;
}

function daskOf(context: RouteContext): DaskService {
  if (!context.services.dask) throw new NotFoundError(`Dask clusters are not served here: ${NO_DASK_RUNTIME}.`);
  return context.services.dask;
}

export const daskRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/api/{kind}/{id}/dask',
    summary: "The resource's Dask cluster: status, scheduler address, dashboard and workers.",
    access: 'user',
    response: { status: 200, schema: daskResponse, description: '{status, scheduler_address, dashboard_url, num_workers}' },
    handle: async (context) => ({ status: 200, body: await daskOf(context).describe(context.user, kindOf(context), context.params.id!) }),
  },
  {
    method: 'POST',
    path: '/api/{kind}/{id}/dask/scale',
    summary: "Sets the number of workers of the resource's Dask cluster; it holds until the recipe's dask_cluster changes.",
    access: 'user',
    body: scaleBody,
    response: { status: 200, schema: daskResponse, description: 'The cluster, as GET describes it.' },
    handle: async (context) => {
      const { num_workers } = validate(scaleBody, context.body ?? {}, 'body');
      return { status: 200, body: await daskOf(context).scale(context.user, kindOf(context), context.params.id!, num_workers) };
    },
  },
];
