/**
 * The API as one middy handler: routing, body limits and parsing, authentication, rate
 * limiting and the error contract as middlewares around a router over thin route handlers.
 * Both the Lambda entry point and the local server build it with their own services.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { ApiEvent, ApiResult, ApiServices, RouteDefinition, RouteReply } from './api-types.ts';
import { Router } from './router.ts';
import { yamlModule } from './yaml-module.ts';
import { routing } from './middlewares/routing.ts';
import { bodyParser, bodySizeLimit } from './middlewares/request-body.ts';
import { authentication } from './middlewares/authentication.ts';
import { rateLimit, type RateLimitOptions } from './middlewares/rate-limit.ts';
import { FailedLoginGuard, type FailedLoginOptions } from './middlewares/failed-logins.ts';
import { errorContract } from './middlewares/error-contract.ts';
import { platformInfoRoutes } from './routes/platform-info-routes.ts';
import { identityRoutes } from './routes/identity-routes.ts';
import { sshKeyRoutes } from './routes/ssh-key-routes.ts';
import { recipeRoutes } from './routes/recipe-routes.ts';
import { resourceRoutes } from './routes/resource-routes.ts';
import { jobRunRoutes } from './routes/job-run-routes.ts';
import { catalogRoutes } from './routes/catalog-routes.ts';
import { daskRoutes } from './routes/dask-routes.ts';
import { usageRoutes } from './routes/usage-routes.ts';
import { limitRoutes } from './routes/limit-routes.ts';
import { userRoutes } from './routes/user-routes.ts';
import { organizationRoutes } from './routes/organization-routes.ts';
import { saturnCatalogRoutes } from './routes/saturn-catalog-routes.ts';
import { podSummaryRoutes } from './routes/pod-summary-routes.ts';
import { openApiDocument } from './openapi.ts';
import type { Log } from '../observability.ts';

export interface ApiOptions {
  services: ApiServices;
  rateLimit?: RateLimitOptions;
  /** Failed logins allowed per client address (failed-logins.ts); unlimited when absent. */
  failedLogins?: FailedLoginOptions;
  /** Where unexpected errors are logged: Powertools' logger on Lambda; JSON lines on the console by default. */
  logger?: Pick<Log, 'error'>;
}

/** Order matters: fixed paths before `{kind}/{id}` templates that would also match them. */
export function apiRoutes(): RouteDefinition[] {
  const openapi: RouteDefinition = {
    method: 'GET',
    path: '/openapi.json',
    summary: 'This document.',
    access: 'public',
    response: { status: 200, description: 'OpenAPI 3.1' },
    handle: async ({ services }) => ({ status: 200, body: openApiDocument(routes, services.version) }),
  };
  const routes = [openapi, ...platformInfoRoutes, ...identityRoutes, ...sshKeyRoutes, ...userRoutes, ...organizationRoutes, ...recipeRoutes, ...jobRunRoutes, ...catalogRoutes, ...saturnCatalogRoutes, ...podSummaryRoutes, ...daskRoutes, ...usageRoutes, ...limitRoutes, ...resourceRoutes];
  return routes;
}

async function toResult(reply: RouteReply): Promise<ApiResult> {
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.text) return { statusCode: reply.status, headers: { ...headers, 'content-type': reply.text.contentType }, body: reply.text.body };
  if (reply.body === undefined) return { statusCode: reply.status, headers };
  if (reply.yaml) return { statusCode: reply.status, headers: { ...headers, 'content-type': 'application/yaml' }, body: (await yamlModule()).stringify(reply.body) };
  return { statusCode: reply.status, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(reply.body) };
}

export function createApi(options: ApiOptions) {
  const router = new Router(apiRoutes());
  const core = async (event: ApiEvent): Promise<ApiResult> => {
    const route = event.route!;
    const reply = await route.definition.handle({
      params: route.params,
      query: event.queryStringParameters ?? {},
      headers: event.headers,
      body: event.parsedBody,
      user: event.user!,
      credential: event.credential!,
      services: options.services,
    });
    return toResult(reply);
  };
  const handler = middy<ApiEvent, ApiResult>(core)
    .use(errorContract({ logger: options.logger }))
    .use(httpHeaderNormalizer())
    .use(routing({ router }))
    .use(bodySizeLimit())
    .use(
      authentication({
        authenticate: (token) => options.services.identity.authenticate(token),
        syncDirectoryUser: (user) => options.services.identity.syncDirectoryUser(user),
        recordUse: (credential) => options.services.identity.recordTokenUse(credential),
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.failedLogins ? { failedLogins: new FailedLoginGuard(options.failedLogins) } : {}),
      }),
    );
  if (options.rateLimit) handler.use(rateLimit(options.rateLimit));
  return handler.use(bodyParser());
}
