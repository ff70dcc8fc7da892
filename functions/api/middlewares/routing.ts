/** Finds the route first, so later middlewares know whether it is public or takes YAML. */
import type { MiddlewareObj, Request } from '@middy/core';
import type { ApiEvent, ApiResult } from '../api-types.ts';
import type { Router } from '../router.ts';
import { HttpError } from './error-contract.ts';

export function routing(options: { router: Router }): MiddlewareObj<ApiEvent, ApiResult> {
  const routingBefore = async (request: Request<ApiEvent, ApiResult>): Promise<void> => {
    const { method, path } = request.event.requestContext.http;
    const route = options.router.match(method, path);
    if (!route) throw new HttpError('not_found', `There is no route ${method} ${path}; see /openapi.json for the routes this API serves.`);
    request.event.route = route;
  };
  return { before: routingBefore };
}
