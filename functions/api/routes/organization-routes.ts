/**
 * Saturn's organization routes over Cassini's one organization: `GET /api/orgs` (the client's
 * `primary_org` reads `is_primary`), `GET /api/orgs/{id}`, `GET /api/orgs/{id}/members` (admin)
 * and `GET /api/orgs/{id}/owners` (the users and groups a resource may be owned by, as
 * `SaturnConnection.get_owners` pages them). Any other organization id is `404`.
 */
import * as z from 'zod';
import type { RouteContext, RouteDefinition } from '../api-types.ts';
import { validate } from '../validation.ts';
import { queryFlag } from '../query-flag.ts';
import { ForbiddenError } from '../../../shared/domain/errors.ts';
import { installationOrganization, organizationOf } from './organization-of.ts';
import type { Organization } from '../../../shared/domain/identity/organization.ts';
import type { PrincipalView } from '../../../shared/ports/principal-views.ts';
import { userResponse } from './user-body.ts';
import { DEFAULT_PRINCIPAL_PAGE, principalPageQuery } from './principal-paging.ts';
import { userPage } from './user-routes.ts';

const organizationResponse = z.lazy(() =>
  z.object({ id: z.string().describe('the name: stable for the life of the installation'), name: z.string(), is_primary: z.literal(true), description: z.string() }),
);

const ownersQuery = z.lazy(() =>
  z.object({
    ...principalPageQuery,
    all_users: queryFlag.describe('admin: every user, not only the caller'),
    all_groups: queryFlag.describe("admin: every group, not only the caller's"),
    users_only: queryFlag,
    groups_only: queryFlag,
    details: queryFlag.describe("accepted for Saturn's client"),
  }),
);

const ownerResponse = z.lazy(() => z.object({ id: z.string(), name: z.string(), type: z.enum(['user', 'group']), org_id: z.string() }));

function organizationBody(organization: Organization): z.infer<typeof organizationResponse> {
  return { id: organization.id, name: organization.name, is_primary: true, description: 'This Cassini installation: every user and group belongs to it.' };
}

type Owner = z.infer<typeof ownerResponse>;

/**
 * The owners the caller asked for: themselves and their groups, or (admin, `all_users` /
 * `all_groups`) every user or group, paged in name order. What is the caller's own comes whole
 * on the first page; what is listed from the directory pages by `next_key`.
 */
async function ownerPage(context: RouteContext, organization: Organization, q: z.infer<typeof ownersQuery>): Promise<{ owners: Owner[]; next_key: string | null }> {
  const { user } = context;
  const wantUsers = !q.groups_only;
  const wantGroups = !q.users_only;
  const allUsers = wantUsers && q.all_users === true;
  const allGroups = wantGroups && q.all_groups === true;
  if ((allUsers || allGroups) && !user.admin) throw new ForbiddenError('Only an admin can list every user or group (all_users, all_groups).');
  const owner = (name: string, type: Owner['type']): Owner => ({ id: name, name, type, org_id: organization.id });
  const own = [...(wantUsers && !allUsers ? [owner(user.username, 'user')] : []), ...(wantGroups && !allGroups ? user.groups.map((g) => owner(g, 'group')) : [])];
  if (!allUsers && !allGroups) return { owners: q.next_key === undefined ? own : [], next_key: null };
  const kind = allUsers && allGroups ? undefined : allUsers ? 'user' : 'group';
  const page = await context.services.identity.listPrincipals(user, { after: q.next_key ?? null, limit: q.page_size ?? DEFAULT_PRINCIPAL_PAGE, ...(kind ? { kind } : {}) });
  const listed = page.principals.flatMap((p: PrincipalView) => (p.kind === 'user' ? [owner(p.user.username, 'user')] : p.kind === 'group' ? [owner(p.name, 'group')] : []));
  return { owners: [...(q.next_key === undefined ? own : []), ...listed], next_key: page.next };
}

export const organizationRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/api/orgs',
    summary: "The organizations the caller belongs to: this installation's one, marked primary.",
    access: 'user',
    query: z.lazy(() => z.object({ all_orgs: queryFlag })),
    response: { status: 200, schema: z.lazy(() => z.object({ orgs: z.array(organizationResponse) })), description: '{orgs}' },
    handle: async (context) => ({ status: 200, body: { orgs: [organizationBody(installationOrganization(context))] } }),
  },
  {
    method: 'GET',
    path: '/api/orgs/{id}',
    summary: 'The organization.',
    access: 'user',
    response: { status: 200, schema: organizationResponse, description: 'The organization.' },
    handle: async (context) => ({ status: 200, body: organizationBody(organizationOf(context, context.params.id!)) }),
  },
  {
    method: 'GET',
    path: '/api/orgs/{id}/members',
    summary: "The organization's members, in name order, a page at a time (admin only).",
    access: 'user',
    query: z.lazy(() => z.object(principalPageQuery)),
    response: { status: 200, schema: z.lazy(() => z.object({ members: z.array(userResponse), next_key: z.string().nullable() })), description: '{members, next_key}' },
    handle: async (context) => {
      organizationOf(context, context.params.id!);
      const q = validate(z.object(principalPageQuery), context.query, 'query');
      const page = await userPage(context, q);
      return { status: 200, body: { members: page.users, next_key: page.next_key } };
    },
  },
  {
    method: 'GET',
    path: '/api/orgs/{id}/owners',
    summary: 'Who may own resources: the caller and their groups, or (admin) every user and group, a page at a time.',
    access: 'user',
    query: ownersQuery,
    response: { status: 200, schema: z.lazy(() => z.object({ owners: z.array(ownerResponse), next_key: z.string().nullable() })), description: '{owners, next_key}' },
    handle: async (context) => {
      const organization = organizationOf(context, context.params.id!);
      return { status: 200, body: await ownerPage(context, organization, validate(ownersQuery, context.query, 'query')) };
    },
  },
];
