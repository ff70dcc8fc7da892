import { describe, expect, it } from 'vitest';
import { routeKey, scopeRefusal, TASK_SCOPE_ROUTES } from '../../../shared/domain/identity/token-scope.ts';
import { apiRoutes } from '../../../functions/api/create-api.ts';

const routes = apiRoutes();
const keys = new Set(routes.map((r) => routeKey(r.method, r.path)));

describe('token scopes', () => {
  it('lets a user token call every route', () => {
    for (const route of routes) expect(scopeRefusal('user', route.method, route.path), routeKey(route.method, route.path)).toBeUndefined();
  });

  it('names only routes that exist, so a renamed route cannot silently leave the list', () => {
    for (const key of TASK_SCOPE_ROUTES) expect(keys.has(key), key).toBe(true);
  });

  it('lets a task token list, get, apply, start and stop resources and follow runs and logs', () => {
    for (const key of [
      'GET /api/user',
      'GET /api/recipes',
      'GET /api/recipes/{type}/{name}',
      'PUT /api/recipes',
      'POST /api/jobs/{id}/start',
      'POST /api/{kind}/{id}/stop',
      'POST /api/jobs/{id}/runs',
      'GET /api/jobs/{id}/runs/{run_id}',
      'GET /api/jobs/{id}/logs',
    ]) {
      const [method, path] = key.split(' ') as [string, string];
      expect(scopeRefusal('task', method, path), key).toBeUndefined();
    }
  });

  it('refuses a task token every route that touches tokens, users, groups, the catalog or admin powers, naming the scope', () => {
    const closed = routes.filter((r) => /^\/api\/(users|tokens|secrets|shared_folders|images|iam_roles|service_accounts|limits)\b/.test(r.path) || r.method === 'DELETE');
    expect(closed.length).toBeGreaterThan(10);
    for (const route of closed) {
      expect(scopeRefusal('task', route.method, route.path), routeKey(route.method, route.path)).toMatch(/token_scope "task"/);
    }
  });

  it('refuses a route it does not list (deny by default)', () => {
    expect(scopeRefusal('task', 'GET', '/api/some/future/route')).toMatch(/token_scope "task".*GET \/api\/some\/future\/route/);
  });
});
