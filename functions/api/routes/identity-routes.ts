/** The caller, users and API tokens. */
import * as z from 'zod';
import type { RouteDefinition } from '../api-types.ts';
import { validate } from '../validation.ts';
import { principalName } from '../../../shared/domain/recipe/fields.ts';
import { DEFAULT_TOKEN_DAYS } from '../../../shared/app/identity-service.ts';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';
import { scopeOf } from '../../../shared/domain/identity/credential.ts';
import { limitBody } from './limit-routes.ts';
import { userBody as saturnUserBody, userResponse as saturnUserResponse } from './user-body.ts';


const callerResponse = z.lazy(() =>
  z.object({
    username: z.string(),
    email: z.string().nullable(),
    groups: z.array(z.string()),
    admin: z.boolean(),
    token_scope: z.enum(['task']).optional().describe('present when the request used a task token (a task\'s SATURN_TOKEN), which may act on its owner\'s resources only'),
    limits_id: z.string().nullable().describe("the caller's own usage limit, if an admin gave it one"),
    limits: z.record(z.string(), z.unknown()).nullable().describe("the usage limit that applies to the caller (its own, its group's or the default), in /api/limits' shape; null: none"),
    limits_usage: z
      .object({ hours_today: z.number(), hours_this_month: z.number(), hours_forever: z.number(), instances_running: z.number() })
      .nullable()
      .describe('instance-hours used in each window of the limits (UTC day and month) and instances running now; null when no limit applies'),
  }),
);

export const createUserBody = z.lazy(() => z.strictObject({
  username: principalName,
  email: z.email().nullish(),
  groups: z.array(principalName).max(100).nullish(),
  admin: z.boolean().nullish(),
  send_reset_email: z.boolean().nullish().describe("accepted for Saturn's client (create_user sends it); Cassini sends no e-mail"),
}));

export const issueTokenBody = z.lazy(() => z.strictObject({
  expires_in_days: z.number().int().min(1).max(3650).nullish().describe(`days until the token expires; default ${DEFAULT_TOKEN_DAYS}`),
}));

const tokenResponse = z.lazy(() => z.object({ token: z.string(), token_id: z.string(), expires_at: z.string().nullable() }));

const tokenListResponse = z.lazy(() =>
  z.object({
    tokens: z.array(
      z.object({
        id: z.string(),
        created_at: z.string(),
        expires_at: z.string().nullable(),
        last_used_at: z.string().nullable().describe('the last recorded use, to five minutes'),
        scope: z.enum(['user', 'task']),
        origin: z.object({
          issued_by: z.string().describe('the user who issued it, or system:task:<task id>, system:bootstrap'),
          parent_token_id: z.string().nullable().describe('the token the request that issued it presented; this token dies with it'),
        }),
      }),
    ),
  }),
);

function userBody(user: User) {
  return { username: user.username, email: user.email, groups: user.groups, admin: user.admin };
}

export const identityRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/api/user',
    summary: 'The caller.',
    access: 'user',
    response: { status: 200, schema: callerResponse, description: 'The user the token belongs to, and the token\'s scope when it is a task token.' },
    handle: async ({ user, credential, services }) => {
      const scope = scopeOf(credential);
      const [overview, limitsId] = await Promise.all([services.limits.overview(user), services.limits.assignedTo(user.username)]);
      const limits = { limits_id: limitsId, limits: overview.limits ? limitBody(overview.limits) : null, limits_usage: overview.usage };
      return { status: 200, body: { ...userBody(user), ...(scope === 'user' ? {} : { token_scope: scope }), ...limits } };
    },
  },
  {
    method: 'POST',
    path: '/api/users',
    summary: 'Creates a user (admin only). Groups named that do not exist yet are created.',
    access: 'user',
    body: createUserBody,
    response: { status: 201, schema: saturnUserResponse, description: 'The new user, as GET /api/users/{id} shows it.' },
    handle: async ({ user, body, services }) => {
      const input = validate(createUserBody, body ?? {}, 'body');
      const created = await services.identity.createUser(user, {
        username: input.username,
        email: input.email ?? null,
        groups: [...new Set(input.groups ?? [])],
        admin: input.admin ?? false,
      });
      return { status: 201, body: saturnUserBody(created) };
    },
  },
  {
    method: 'POST',
    path: '/api/users/{username}/tokens',
    summary:
      'Issues an API token for a user (admin, or the user itself). The token is shown only in this response. Issued with a token, it expires no later than that token and is revoked with it.',
    access: 'user',
    body: issueTokenBody,
    response: { status: 201, schema: tokenResponse, description: 'The new token.' },
    handle: async ({ user, credential, body, params, services }) => {
      const input = validate(issueTokenBody, body ?? {}, 'body');
      const issued = await services.identity.issueToken(user, credential, params.username!, input.expires_in_days ?? DEFAULT_TOKEN_DAYS);
      return { status: 201, body: issued, headers: { 'cache-control': 'no-store' } };
    },
  },
  {
    method: 'GET',
    path: '/api/tokens',
    summary: "The caller's tokens that can still be used, newest first: never a token itself.",
    access: 'user',
    response: { status: 200, schema: tokenListResponse, description: 'The tokens.' },
    handle: async ({ user, services }) => ({ status: 200, body: { tokens: await services.identity.listTokens(user) }, headers: { 'cache-control': 'no-store' } }),
  },
  {
    method: 'DELETE',
    path: '/api/tokens/{token_id}',
    summary: 'Revokes a token (admin, or the token owner), and with it every token issued with it.',
    access: 'user',
    response: { status: 204, description: 'Revoked.' },
    handle: async ({ user, params, services }) => {
      await services.identity.revokeToken(user, params.token_id!);
      return { status: 204 };
    },
  },
];
