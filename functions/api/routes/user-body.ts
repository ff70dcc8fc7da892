/** A user as Saturn's user routes answer it (`GET /api/users`, `/api/users/{id}`, an org's members): the id is the name. */
import * as z from 'zod';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';

export const userResponse = z.lazy(() =>
  z.object({
    id: z.string().describe('the username: user ids are names in Cassini'),
    username: z.string(),
    email: z.string().nullable(),
    full_name: z.string().nullable(),
    groups: z.array(z.string()),
    admin: z.boolean(),
    locked: z.boolean(),
    limits_id: z.string().nullable().optional().describe("the user's own usage limit (GET and PATCH of one user; not in listings)"),
  }),
);

export function userBody(user: User): z.infer<typeof userResponse> {
  return { id: user.username, username: user.username, email: user.email, full_name: user.full_name ?? null, groups: user.groups, admin: user.admin, locked: user.locked ?? false };
}
