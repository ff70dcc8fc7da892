/**
 * Saturn's routes over the catalog, in the shapes its client sends and reads:
 * `POST /api/shared_folders` (`SaturnConnection.create_shared_folder`), and service accounts,
 * Saturn's name for the IAM roles tasks may take: `POST /api/service_accounts`
 * (`create_service_account`) and `PUT /api/service_accounts/{id}/associate/{identity_type}/{identity_id}`
 * (`associate_service_account`). A service account is the registered IAM role of the same name
 * (`/api/iam_roles/{name}`): one object, two views; its id is its name, and the users and groups
 * associated with it are those allowed to attach it.
 */
import * as z from 'zod';
import type { RouteContext, RouteDefinition } from '../api-types.ts';
import { validate } from '../validation.ts';
import { NotFoundError, ValidationError } from '../../../shared/domain/errors.ts';
import { catalogName, roleArn } from '../../../shared/domain/catalog/catalog-fields.ts';
import type { CatalogObjectView } from '../../../shared/app/catalog-service.ts';
import { saturnSharedFolder } from './catalog-routes.ts';

/** Kubernetes quantities as Saturn writes disk sizes (`100Gi`). */
const DISK_SPACE = /^\d{1,6}(?:Ki|Mi|Gi|Ti)$/;

export const createSharedFolderBody = z.lazy(() =>
  z.strictObject({
    owner_name: z.string().min(1).max(200).nullish().describe('<org>/<user or group>, or the name alone; default the caller'),
    name: catalogName,
    access: z.enum(['owner', 'org']).nullish().describe('owner (default): the owner and its members; org: everyone may attach it'),
    access_mode: z.enum(['ReadWriteMany', 'ReadOnlyMany']).nullish().describe('default ReadWriteMany'),
    is_external: z.literal(false, { error: 'must be false: folders live on the platform\'s own storage (EFS on AWS); external file systems are not supported' }).nullish(),
    disk_space: z.string().regex(DISK_SPACE, 'must be a size like 100Gi').nullish().describe('accepted for Saturn\'s client: shared folders grow as needed (EFS), so no size is reserved'),
  }),
);

export const createServiceAccountBody = z.lazy(() =>
  z.strictObject({
    name: catalogName,
    cloud_role: roleArn,
    auto_associate: z
      .literal(false, { error: 'must be false: associate users and groups one by one (PUT /api/service_accounts/{id}/associate/{identity_type}/{identity_id}), so no one gets a role without an admin saying so' })
      .nullish(),
  }),
);

const serviceAccountResponse = z.lazy(() =>
  z.object({
    service_account: z.object({
      id: z.string().describe('the name: one object with the IAM role of that name'),
      name: z.string(),
      cloud_role: z.string(),
      auto_associate: z.literal(false),
      associations: z.array(z.string()).describe('the users and groups that may attach it'),
      created_at: z.string(),
      updated_at: z.string(),
    }),
  }),
);

function serviceAccountBody(role: CatalogObjectView): z.infer<typeof serviceAccountResponse> {
  return {
    service_account: {
      id: role.name,
      name: role.name,
      cloud_role: role.role_arn as string,
      auto_associate: false,
      associations: role.allowed as string[],
      created_at: role.created_at,
      updated_at: role.updated_at,
    },
  };
}

/** That `name` is a user (`identity_type` user) or a group (group), or 404 naming what is missing. */
async function checkIdentity(context: RouteContext, type: string, name: string): Promise<void> {
  if (type !== 'user' && type !== 'group') {
    throw new ValidationError('The identity type must be user or group.', [{ path: 'path.identity_type', message: 'must be user or group' }]);
  }
  const { identity } = context.services;
  const isUser = (await identity.findUser(name)) !== undefined;
  const exists = type === 'user' ? isUser : !isUser && (await identity.principalExists(name));
  if (!exists) throw new NotFoundError(`No ${type} named ${name}.`);
}

export const saturnCatalogRoutes: RouteDefinition[] = [
  {
    method: 'POST',
    path: '/api/shared_folders',
    summary: "Creates a shared folder, in Saturn's shape; 409 when the owner has one of that name.",
    access: 'user',
    body: createSharedFolderBody,
    response: { status: 201, description: 'The shared folder, with its id.' },
    handle: async (context) => {
      const input = validate(createSharedFolderBody, context.body ?? {}, 'body');
      const attributes = { access: input.access ?? 'owner', access_mode: input.access_mode ?? 'ReadWriteMany' };
      const outcome = await context.services.catalog.putSharedFolder(context.user, { name: input.name, owner: input.owner_name ?? undefined, attributes, createOnly: true });
      return { status: 201, body: saturnSharedFolder(context, outcome.object) };
    },
  },
  {
    method: 'POST',
    path: '/api/service_accounts',
    summary: 'Registers an IAM role as a service account (admin only); 409 when the name is taken.',
    access: 'user',
    body: createServiceAccountBody,
    response: { status: 201, schema: serviceAccountResponse, description: '{service_account}' },
    handle: async (context) => {
      const input = validate(createServiceAccountBody, context.body ?? {}, 'body');
      const outcome = await context.services.catalog.putIamRole(context.user, { name: input.name, attributes: { role_arn: input.cloud_role, allowed: [] }, createOnly: true });
      return { status: 201, body: serviceAccountBody(outcome.object) };
    },
  },
  {
    method: 'PUT',
    path: '/api/service_accounts/{id}/associate/{identity_type}/{identity_id}',
    summary: 'Lets a user or group attach the service account (admin only); associating again changes nothing.',
    access: 'user',
    response: { status: 200, schema: serviceAccountResponse, description: '{service_account}' },
    handle: async (context) => {
      const { id, identity_type: type, identity_id: identityId } = context.params as Record<string, string>;
      const name = catalogName.safeParse(id);
      if (!name.success) throw new NotFoundError(`No service account ${id}.`);
      const role = await context.services.catalog.get(context.user, 'iam_role', name.data);
      await checkIdentity(context, type!, identityId!);
      const allowed = [...new Set([...(role.allowed as string[]), identityId!])];
      const outcome = await context.services.catalog.putIamRole(context.user, { name: name.data, attributes: { role_arn: role.role_arn as string, allowed } });
      return { status: 200, body: serviceAccountBody(outcome.object) };
    },
  },
];
