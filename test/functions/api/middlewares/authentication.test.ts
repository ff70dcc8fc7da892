import { describe, expect, it } from 'vitest';
import type { Request } from '@middy/core';
import { authentication } from '../../../../functions/api/middlewares/authentication.ts';
import type { ApiEvent, ApiResult, RouteDefinition } from '../../../../functions/api/api-types.ts';
import type { User } from '../../../../shared/domain/identity/principal-decider.ts';
import type { Credential } from '../../../../shared/domain/identity/credential.ts';
import { ForbiddenError, UnauthenticatedError } from '../../../../shared/domain/errors.ts';

const ann: User = { username: 'ann', email: null, groups: [], admin: false };
const userToken: Credential = { kind: 'token', tokenId: 'good-id', scope: 'user', expiresAt: null, lineage: [], lastUsedAt: null };

function requestWith(headers: Record<string, string>, extra: Partial<ApiEvent> = {}, access: RouteDefinition['access'] = 'user') {
  const event = {
    headers,
    requestContext: { http: { method: 'GET', path: '/api/user' } },
    route: { definition: { access } as RouteDefinition, params: {} },
    ...extra,
  } as unknown as ApiEvent;
  return { event } as Request<ApiEvent, ApiResult>;
}

async function run(request: Request<ApiEvent, ApiResult>, tokens: Record<string, User> = { good: ann }) {
  const seen: string[] = [];
  const middleware = authentication({
    authenticate: async (token) => {
      seen.push(token);
      const user = tokens[token];
      if (!user) throw new UnauthenticatedError('The API token is not valid.');
      return { user, credential: userToken };
    },
  });
  await middleware.before!(request);
  return seen;
}

describe('authentication', () => {
  it('trusts the verified claims the Lambda authorizer passes as its context', async () => {
    // The shape functions/authorizer/handler.ts produces: context values are strings.
    const claims = { 'cognito:username': 'lin', 'cognito:groups': 'analytics,admins', token_use: 'access' };
    const request = requestWith({}, { requestContext: { http: { method: 'GET', path: '/api/user' }, authorizer: { lambda: claims } } } as never);
    expect(await run(request)).toEqual([]);
    expect(request.event.user).toEqual({ username: 'lin', email: null, groups: ['analytics'], admin: true });
  });

  it('checks the token itself when the Lambda authorizer passed the request on without claims', async () => {
    const request = requestWith({ authorization: 'Bearer good' }, { requestContext: { http: { method: 'GET', path: '/api/user' }, authorizer: { lambda: {} } } } as never);
    expect(await run(request)).toEqual(['good']);
  });

  it.each([['Bearer good'], ['token good'], ['bearer   good'], ['TOKEN good ']])('accepts %j', async (header) => {
    const request = requestWith({ authorization: header });
    expect(await run(request)).toEqual(['good']);
    expect(request.event.user).toEqual(ann);
  });

  it.each([[{}], [{ authorization: 'Basic Z29vZA==' }], [{ authorization: 'Bearer' }], [{ authorization: 'Bearer a b' }]])('refuses %j', async (headers) => {
    await expect(run(requestWith(headers))).rejects.toThrow(UnauthenticatedError);
  });

  it('passes public routes without looking at any token', async () => {
    const request = requestWith({ authorization: 'Bearer unknown' }, {}, 'public');
    expect(await run(request)).toEqual([]);
    expect(request.event.user).toBeUndefined();
  });

  it('trusts the claims of a Cognito JWT that API Gateway already verified, admins by group', async () => {
    // Prepare
    const claims = { 'cognito:username': 'grace', email: 'grace@example.com', 'cognito:groups': '[admins analytics]' };
    const request = requestWith({}, { requestContext: { http: { method: 'GET', path: '/api/user' }, authorizer: { jwt: { claims } } } } as never);

    // Act
    const seen = await run(request);

    // Assess
    expect(seen).toEqual([]);
    expect(request.event.user).toEqual({ username: 'grace', email: 'grace@example.com', groups: ['analytics'], admin: true });
  });

  it('records a directory user before the request goes on, and stops the request when that is refused', async () => {
    // Prepare
    const synced: User[] = [];
    const claims = { 'cognito:username': 'lin', 'cognito:groups': 'analytics' };
    const middleware = (refuse: boolean) =>
      authentication({
        authenticate: async () => ({ user: ann, credential: userToken }),
        syncDirectoryUser: async (user) => {
          if (refuse) throw new UnauthenticatedError('refused');
          synced.push(user);
        },
      });
    const request = () => requestWith({}, { requestContext: { http: { method: 'GET', path: '/api/user' }, authorizer: { lambda: claims } } } as never);

    // Act
    const accepted = request();
    await middleware(false).before!(accepted);
    const refused = request();
    const refusal = middleware(true).before!(refused);

    // Assess
    expect(synced).toEqual([{ username: 'lin', email: null, groups: ['analytics'], admin: false }]);
    expect(accepted.event.user).toEqual(synced[0]);
    await expect(refusal).rejects.toThrow('refused');
    expect(refused.event.user).toBeUndefined();
  });

  describe('task tokens', () => {
    const taskToken: Credential = { kind: 'token', tokenId: 'task-id', scope: 'task', expiresAt: null, lineage: [], lastUsedAt: null };
    const onRoute = (method: RouteDefinition['method'], path: string) => {
      const event = {
        headers: { authorization: 'Bearer task' },
        requestContext: { http: { method, path } },
        route: { definition: { access: 'user', method, path } as RouteDefinition, params: {} },
      } as unknown as ApiEvent;
      return { event } as Request<ApiEvent, ApiResult>;
    };
    const middleware = authentication({ authenticate: async () => ({ user: ann, credential: taskToken }) });

    it('lets a task token through to a route its scope lists, with its credential', async () => {
      const request = onRoute('POST', '/api/jobs/{id}/start');
      await middleware.before!(request);
      expect(request.event.user).toEqual(ann);
      expect(request.event.credential).toEqual(taskToken);
    });

    it('refuses a task token on a route its scope does not list with 403 forbidden naming the scope, before any handler sees a user', async () => {
      const request = onRoute('POST', '/api/users/{username}/tokens');
      const refusal = middleware.before!(request);
      await expect(refusal).rejects.toThrow(ForbiddenError);
      await expect(refusal).rejects.toThrow(/token_scope "task"/);
      expect(request.event.user).toBeUndefined();
    });
  });

  describe('recording a token use', () => {
    const recorded: Credential[] = [];
    const middleware = authentication({ authenticate: async () => ({ user: ann, credential: userToken }), recordUse: async (credential) => void recorded.push(credential) });

    it('records the use once the request has succeeded, and not for a refused one', async () => {
      // Prepare
      recorded.length = 0;
      const succeeded = requestWith({ authorization: 'Bearer good' });
      const refused = requestWith({ authorization: 'Bearer good' });

      // Act
      await middleware.before!(succeeded);
      succeeded.response = { statusCode: 200 };
      await middleware.after!(succeeded);
      await middleware.before!(refused);
      refused.response = { statusCode: 404 };
      await middleware.after!(refused);

      // Assess
      expect(recorded).toEqual([userToken]);
    });

    it('lets the request succeed when recording fails, and logs it without the token', async () => {
      // Prepare
      const logged: unknown[][] = [];
      const failing = authentication({
        authenticate: async () => ({ user: ann, credential: userToken }),
        recordUse: () => Promise.reject(new Error('store unavailable')),
        logger: { error: (...args: unknown[]) => void logged.push(args) },
      });
      const request = requestWith({ authorization: 'Bearer good' });
      await failing.before!(request);
      request.response = { statusCode: 200 };

      // Act
      await failing.after!(request);

      // Assess
      expect(request.response).toEqual({ statusCode: 200 });
      expect(logged).toHaveLength(1);
      expect(JSON.stringify(logged)).not.toContain('Bearer good');
    });
  });
});
