/**
 * What a token may do. A `user` token acts as its user on every route. A `task` token (a task's
 * SATURN_TOKEN) acts for the resource's owner on resources only, so that a pipeline job can list,
 * read, apply, start and stop its owner's resources and follow their runs and logs, while code
 * running in a task can never issue or revoke tokens, manage users or groups, register catalog
 * objects (IAM roles, images, shared folders), write secrets or use admin powers.
 *
 * This list is the one place that says which routes a task token may use; every route missing
 * from it is refused (deny by default), so a route added later is closed to tasks until someone
 * decides otherwise here.
 */
export type TokenScope = 'user' | 'task';

/** Routes a task token may call, as `METHOD /path/template` keys of the API's route table. */
export const TASK_SCOPE_ROUTES: ReadonlySet<string> = new Set([
  // who the token acts for, with its scope
  'GET /api/user',
  'GET /api/info/servers',
  // the organization, which Saturn's client reads to name owners (`<org>/<name>`), and the owners the caller may act as
  'GET /api/orgs',
  'GET /api/orgs/{id}',
  'GET /api/orgs/{id}/owners',
  // list, get and apply recipes
  'GET /api/recipes',
  'GET /api/recipes/{type}/{name}',
  'PUT /api/recipes',
  'POST /api/recipes',
  'GET /api/{kind}/{id}',
  'GET /api/{kind}/{id}/events',
  // a job's schedule: what an apply of its recipe could set as well
  'PATCH /api/jobs/{id}',
  'POST /api/jobs/{id}/schedule',
  'POST /api/jobs/{id}/unschedule',
  // start and stop resources
  'POST /api/{kind}/{id}/start',
  'POST /api/{kind}/{id}/stop',
  'POST /api/{kind}/{id}/restart',
  'POST /api/jobs/{id}/start',
  // job runs
  'POST /api/jobs/{id}/runs',
  'GET /api/jobs/{id}/runs',
  'GET /api/jobs/{id}/runs/{run_id}',
  'POST /api/jobs/{id}/stop/{run_id}',
  // what runs, and its logs
  'GET /api/{kind}/{id}/history',
  'GET /api/jobs/{id}/history',
  'GET /api/{kind}/{id}/runtimesummary',
  'GET /api/jobs/{id}/runtimesummary',
  'GET /api/{kind}/{id}/logs',
  'GET /api/jobs/{id}/logs',
  'GET /api/pod/namespace/{namespace}/name/{pod}/runtimesummary',
  // a resource's Dask cluster (dask-saturn scales it from inside a workspace or job)
  'GET /api/{kind}/{id}/dask',
  'POST /api/{kind}/{id}/dask/scale',
]);

export function routeKey(method: string, pathTemplate: string): string {
  return `${method} ${pathTemplate}`;
}

/** Whether a token of `scope` may call the route; the refusal names the scope. */
export function scopeRefusal(scope: TokenScope, method: string, pathTemplate: string): string | undefined {
  if (scope === 'user' || TASK_SCOPE_ROUTES.has(routeKey(method, pathTemplate))) return undefined;
  return `A task token (token_scope "task", a task's SATURN_TOKEN) may act on its owner's resources only; ${method} ${pathTemplate} needs a user's own token.`;
}
