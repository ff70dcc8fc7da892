/**
 * Saturn's user administration: `GET /api/users` (admin, paged), `GET /api/users/{id}`,
 * `PATCH /api/users/{id}` (admin) and `DELETE /api/users/{id}` (admin). A user's id is their
 * name. Deleting a user who still owns resources, secrets or shared folders is refused with
 * `409` naming them: nothing is stopped or orphaned silently.
 */
import * as z from 'zod';
import type { RouteContext, RouteDefinition } from '../api-types.ts';
import { validate } from '../validation.ts';
import { queryFlag } from '../query-flag.ts';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { userBody, userResponse } from './user-body.ts';
import { patchedUser, patchUserBody } from './user-changes.ts';
import { limitsIdBody } from './limit-routes.ts';
import { DEFAULT_PRINCIPAL_PAGE, principalPageQuery } from './principal-paging.ts';
import { organizationOf } from './organization-of.ts';

const listUsersQuery = z.lazy(() =>
  z.object({
    ...principalPageQuery,
    org_id: z.string().optional().describe('the organization; there is one'),
    details: queryFlag.describe('accepted for Saturn\'s client; every listing has the details'),
  }),
);

const userListResponse = z.lazy(() => z.object({ users: z.array(userResponse), next_key: z.string().nullable() }));

/** A page of users as `SaturnConnection.get_all_users` pages it (key `users`, `next_key`). */
export async function userPage(context: RouteContext, query: { page_size?: number | undefined; next_key?: string | undefined }) {
  const page = await context.services.identity.listPrincipals(context.user, { kind: 'user', after: query.next_key ?? null, limit: query.page_size ?? DEFAULT_PRINCIPAL_PAGE });
  const users = page.principals.flatMap((p) => (p.kind === 'user' ? [userBody(p.user)] : []));
  return { users, next_key: page.next };
}

export const userRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/api/users',
    summary: 'Every user, in name order, a page at a time (admin only).',
    access: 'user',
    query: listUsersQuery,
    response: { status: 200, schema: userListResponse, description: '{users, next_key}' },
    handle: async (context) => {
      const q = validate(listUsersQuery, context.query, 'query');
      if (q.org_id !== undefined) organizationOf(context, q.org_id);
      return { status: 200, body: await userPage(context, q) };
    },
  },
  {
    method: 'GET',
    path: '/api/users/{id}',
    summary: 'One user (admin, or the user themselves).',
    access: 'user',
    response: { status: 200, schema: userResponse, description: 'The user.' },
    handle: async ({ user, params, services }) => {
      const found = await services.identity.getUser(user, params.id!);
      return { status: 200, body: { ...userBody(found), limits_id: await services.limits.assignedTo(found.username) } };
    },
  },
  {
    method: 'PATCH',
    path: '/api/users/{id}',
    summary: "Changes a user (admin only). A locked user's tokens and sessions are refused until unlocked; users cannot be renamed.",
    access: 'user',
    body: patchUserBody,
    response: { status: 200, schema: userResponse, description: 'The user as changed.' },
    handle: async ({ user, params, body, services }) => {
      // `limits_id` is the user's own usage limit, kept with the limits (limit-service.ts), not on the user.
      const { limits_id: limitsId, ...fields } = (body ?? {}) as Record<string, unknown>;
      const patch = validate(patchUserBody, fields, 'body');
      const limits = limitsId === undefined ? undefined : validate(limitsIdBody, { limits_id: limitsId }, 'body');
      const username = params.id!;
      if (patch.username !== undefined && patch.username !== username) {
        throw new ValidationError('Users cannot be renamed: resources, catalog objects and grants name their owner.', [{ path: 'username', message: `must be the current name, ${username}` }]);
      }
      if (limits) await services.limits.assign(user, { kind: 'user', name: username }, limits.limits_id);
      const updated = await services.identity.updateUser(user, username, (current) => patchedUser(current, patch));
      return { status: 200, body: { ...userBody(updated), limits_id: await services.limits.assignedTo(username) } };
    },
  },
  {
    method: 'DELETE',
    path: '/api/users/{id}',
    summary: "Deletes a user and revokes their tokens (admin only); 409 naming what they still own, which must go first. The name is not reused.",
    access: 'user',
    response: { status: 204, description: 'Deleted.' },
    handle: async ({ user, params, services }) => {
      await services.identity.deleteUser(user, params.id!);
      return { status: 204 };
    },
  },
];
