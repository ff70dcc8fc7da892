/** The caller, users and API tokens. */
import * as z from 'zod';
import type { RouteDefinition } from '../api-types.ts';
import { validate } from '../validation.ts';
import { principalName } from '../../../shared/domain/recipe/fields.ts';
import { DEFAULT_TOKEN_DAYS } from '../../../shared/app/identity-service.ts';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';

const userResponse = z.lazy(() => z.object({ username: z.string(), email: z.string().nullable(), groups: z.array(z.string()), admin: z.boolean() }));

export const createUserBody = z.lazy(() => z.strictObject({
  username: principalName,
  email: z.email().nullish(),
  groups: z.array(principalName).max(100).nullish(),
  admin: z.boolean().nullish(),
}));

export const issueTokenBody = z.lazy(() => z.strictObject({
  expires_in_days: z.number().int().min(1).max(3650).nullish().describe(`days until the token expires; default ${DEFAULT_TOKEN_DAYS}`),
}));

const tokenResponse = z.lazy(() => z.object({ token: z.string(), token_id: z.string(), expires_at: z.string().nullable() }));

function userBody(user: User) {
  return { username: user.username, email: user.email, groups: user.groups, admin: user.admin };
}

export const identityRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/api/user',
    summary: 'The caller.',
    access: 'user',
    response: { status: 200, schema: userResponse, description: 'The user the token belongs to.' },
    handle: async ({ user }) => ({ status: 200, body: userBody(user) }),
  },
  {
    method: 'POST',
    path: '/api/users',
    summary: 'Creates a user (admin only). Groups named that do not exist yet are created.',
    access: 'user',
    body: createUserBody,
    response: { status: 201, schema: userResponse, description: 'The new user.' },
    handle: async ({ user, body, services }) => {
      const input = validate(createUserBody, body ?? {}, 'body');
      const created = await services.identity.createUser(user, {
        username: input.username,
        email: input.email ?? null,
        groups: [...new Set(input.groups ?? [])],
        admin: input.admin ?? false,
      });
      return { status: 201, body: userBody(created) };
    },
  },
  {
    method: 'POST',
    path: '/api/users/{username}/tokens',
    summary: 'Issues an API token for a user (admin, or the user itself). The token is shown only in this response.',
    access: 'user',
    body: issueTokenBody,
    response: { status: 201, schema: tokenResponse, description: 'The new token.' },
    handle: async ({ user, body, params, services }) => {
      const input = validate(issueTokenBody, body ?? {}, 'body');
      const issued = await services.identity.issueToken(user, params.username!, input.expires_in_days ?? DEFAULT_TOKEN_DAYS);
      return { status: 201, body: issued, headers: { 'cache-control': 'no-store' } };
    },
  },
  {
    method: 'DELETE',
    path: '/api/tokens/{token_id}',
    summary: 'Revokes a token (admin, or the token owner).',
    access: 'user',
    response: { status: 204, description: 'Revoked.' },
    handle: async ({ user, params, services }) => {
      await services.identity.revokeToken(user, params.token_id!);
      return { status: 204 };
    },
  },
];
