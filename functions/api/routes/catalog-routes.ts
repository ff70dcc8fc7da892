/**
 * The catalog (extension): secrets, shared folders, images and IAM roles, each with
 * `PUT /api/<kind>/{name}` (201 created, 200 changed), `GET /api/<kind>` (paged as Saturn's client
 * pages: `page_size`, `next_key`), `GET /api/<kind>/{name}` and `DELETE /api/<kind>/{name}` (204).
 * Secrets and shared folders are named per owner (`?owner_name=`, default the caller); images and
 * IAM roles platform-wide. A shared folder also has Saturn's id (`<owner>.<name>`, which no bare
 * name can be), taken wherever its name is; saturn-catalog-routes.ts adds Saturn's create routes.
 *
 * A secret's value is accepted here and handed to the secret store; it is never returned, and
 * a validation error about it says what is wrong without repeating it.
 */
import * as z from 'zod';
import type { RouteContext, RouteDefinition, RouteReply } from '../api-types.ts';
import { validate } from '../validation.ts';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { principalName } from '../../../shared/domain/recipe/fields.ts';
import { imageReference, type CatalogKind } from '../../../shared/domain/catalog/catalog-object.ts';
import { catalogName, roleArn } from '../../../shared/domain/catalog/catalog-fields.ts';
import type { CatalogObjectView, PutOutcome } from '../../../shared/app/catalog-service.ts';
import { parseSharedFolderId, sharedFolderId } from '../../../shared/domain/catalog/shared-folder-id.ts';
import { installationOrganization, organizationOf } from './organization-of.ts';

/** Secrets Manager's limit on a secret's size. */
const MAX_SECRET_BYTES = 65_536;
const VALUE_RULE = `must be a non-empty string of at most ${MAX_SECRET_BYTES} bytes`;

const owner = z.lazy(() => z.string().min(1).max(200).nullish().describe('A user or group name; defaults to the caller'));
const access = z.lazy(() => z.enum(['owner', 'org']).nullish().describe('owner (default): the owner and its members; org: everyone may attach it'));

export const secretBody = z.lazy(() => z.strictObject({
  value: z.string().min(1).refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_SECRET_BYTES, VALUE_RULE).describe('write-only: never returned'),
  description: z.string().max(4096).nullish(),
  owner,
  access,
}));

export const sharedFolderBody = z.lazy(() => z.strictObject({
  owner,
  access,
  access_mode: z.enum(['ReadWriteMany', 'ReadOnlyMany']).nullish().describe('default ReadWriteMany'),
}));

const imageTag = z.lazy(() => z.string().regex(/^\w[\w.-]{0,127}$/, 'must be an image tag: letters, digits, "_", "." and "-", at most 128'));

export const imageBody = z.lazy(() => z.strictObject({
  uri: z
    .string()
    .min(1)
    .max(512)
    .refine((uri) => imageReference(uri).kind === 'uri', 'must be a full image URI with a registry or repository path, e.g. docker.io/library/python'),
  tags: z.array(imageTag).max(100).nullish(),
  ide: z.enum(['jupyter', 'rstudio']).nullish(),
  owner,
}));

export const iamRoleBody = z.lazy(() => z.strictObject({
  role_arn: roleArn,
  allowed: z.array(principalName).max(100).describe('users and groups that may attach the role'),
}));

const ownerQuery = z.lazy(() => z.object({ owner_name: z.string().min(1).max(200).optional() }));

const listQuery = z.lazy(() =>
  z.object({
    owner_name: z.string().min(1).max(200).optional(),
    org_id: z.string().optional().describe('the organization; there is one'),
    page_size: z.coerce.number().int().min(1).max(1000).optional().describe('default 100'),
    next_key: z.string().max(400).optional().describe('the next_key of the page before'),
  }),
);

const DEFAULT_PAGE = 100;

const times = () => ({ created_at: z.string(), updated_at: z.string() });
const objectResponses = {
  secret: z.lazy(() => z.object({ name: z.string(), owner: z.string(), description: z.string().nullable(), access: z.enum(['owner', 'org']), ...times() })),
  shared_folder: z.lazy(() =>
    z.object({
      id: z.string().describe("Saturn's id: <owner>.<name>"),
      name: z.string(),
      owner: z.string(),
      owner_name: z.string().describe('<org>/<owner>, as Saturn names owners'),
      access: z.enum(['owner', 'org']),
      access_mode: z.enum(['ReadWriteMany', 'ReadOnlyMany']),
      is_external: z.literal(false),
      ...times(),
    }),
  ),
  image: z.lazy(() => z.object({ name: z.string(), owner: z.string(), uri: z.string(), tags: z.array(z.string()), ide: z.string().nullable(), ...times() })),
  iam_role: z.lazy(() => z.object({ name: z.string(), owner: z.string(), role_arn: z.string(), allowed: z.array(z.string()), ...times() })),
} satisfies Record<CatalogKind, z.ZodType>;

/** The secret body, refused without ever echoing the value: every issue under `value` gets a fixed message. */
function validateSecretBody(body: unknown): z.infer<typeof secretBody> {
  try {
    return validate(secretBody, body ?? {}, 'body');
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const details = error.details.map((d) => (d.path === 'value' || d.path.startsWith('value.') || d.path.startsWith('value[') ? { path: d.path, message: d.message === 'is required' ? 'is required' : VALUE_RULE } : d));
    throw new ValidationError(error.message, details);
  }
}

function nameOf(context: RouteContext): string {
  const name = catalogName.safeParse(context.params.name);
  if (!name.success) throw new ValidationError('The name in the path is not a valid catalog name.', [{ path: 'path.name', message: name.error.issues[0]!.message }]);
  return name.data;
}

/** The object a path names: by name (and `?owner_name=`), or for a shared folder by Saturn's id too. */
function addressOf(context: RouteContext, k: KindRoutes): { name: string; owner: string | undefined } {
  const id = k.kind === 'shared_folder' ? parseSharedFolderId(context.params.name!) : undefined;
  if (id) return { name: nameOf({ ...context, params: { name: id.name } }), owner: id.owner };
  return { name: nameOf(context), owner: k.perOwner ? validate(ownerQuery, context.query, 'query').owner_name : undefined };
}

/** Saturn's fields of a shared folder: its id, its owner as `<org>/<owner>`, and that it lives on the platform's storage. */
export function saturnSharedFolder(context: RouteContext, folder: CatalogObjectView): CatalogObjectView {
  const organization = installationOrganization(context);
  return { id: sharedFolderId(folder.owner, folder.name), ...folder, owner_name: `${organization.name}/${folder.owner}`, is_external: false };
}

function rendered(context: RouteContext, k: KindRoutes, object: CatalogObjectView): CatalogObjectView {
  return k.kind === 'shared_folder' ? saturnSharedFolder(context, object) : object;
}

function putReply(context: RouteContext, k: KindRoutes, outcome: PutOutcome): RouteReply {
  return { status: outcome.created ? 201 : 200, body: rendered(context, k, outcome.object) };
}

/** A page of a listing sorted by owner and name: `next_key` is the last `<owner>/<name>` shown. */
function page(objects: CatalogObjectView[], size: number, after: string | undefined): { objects: CatalogObjectView[]; next: string | null } {
  const keyOf = (o: CatalogObjectView) => `${o.owner}/${o.name}`;
  const rest = after === undefined ? objects : objects.filter((o) => keyOf(o) > after);
  const shown = rest.slice(0, size);
  return { objects: shown, next: rest.length > size ? keyOf(shown.at(-1)!) : null };
}

interface KindRoutes {
  kind: CatalogKind;
  /** The path segment and the listing's key. */
  plural: string;
  label: string;
  perOwner: boolean;
  body: z.ZodType;
  put(context: RouteContext, name: string): Promise<PutOutcome>;
}

const KINDS: KindRoutes[] = [
  {
    kind: 'secret',
    plural: 'secrets',
    label: 'secret',
    perOwner: true,
    body: secretBody,
    put: ({ user, body, services }, name) => {
      const input = validateSecretBody(body);
      const attributes = { description: input.description ?? null, access: input.access ?? 'owner' };
      return services.catalog.putSecret(user, { name, owner: input.owner ?? undefined, attributes }, input.value);
    },
  },
  {
    kind: 'shared_folder',
    plural: 'shared_folders',
    label: 'shared folder',
    perOwner: true,
    body: sharedFolderBody,
    put: ({ user, body, services }, name) => {
      const input = validate(sharedFolderBody, body ?? {}, 'body');
      const attributes = { access: input.access ?? 'owner', access_mode: input.access_mode ?? 'ReadWriteMany' };
      return services.catalog.putSharedFolder(user, { name, owner: input.owner ?? undefined, attributes });
    },
  },
  {
    kind: 'image',
    plural: 'images',
    label: 'image',
    perOwner: false,
    body: imageBody,
    put: ({ user, body, services }, name) => {
      const input = validate(imageBody, body ?? {}, 'body');
      const attributes = { uri: input.uri, tags: [...new Set(input.tags ?? [])], ide: input.ide ?? null };
      return services.catalog.putImage(user, { name, owner: input.owner ?? undefined, attributes });
    },
  },
  {
    kind: 'iam_role',
    plural: 'iam_roles',
    label: 'IAM role',
    perOwner: false,
    body: iamRoleBody,
    put: ({ user, body, services }, name) => {
      const input = validate(iamRoleBody, body ?? {}, 'body');
      return services.catalog.putIamRole(user, { name, attributes: { role_arn: input.role_arn, allowed: [...new Set(input.allowed)] } });
    },
  },
];

function routesOf(k: KindRoutes): RouteDefinition[] {
  const query = k.perOwner ? ownerQuery : undefined;
  const admin = k.kind === 'iam_role' ? ' (admin only)' : '';
  return [
    {
      method: 'PUT',
      path: `/api/${k.plural}/{name}`,
      summary: `Registers or changes a ${k.label}${admin}.${k.kind === 'secret' ? ' The value is stored and never returned.' : ''}`,
      access: 'user',
      body: k.body,
      response: { status: 201, schema: objectResponses[k.kind], description: `The ${k.label} (201 when created, 200 when changed).` },
      handle: async (context) => putReply(context, k, await k.put(context, nameOf(context))),
    },
    {
      method: 'GET',
      path: `/api/${k.plural}`,
      summary: `The ${k.label}s the caller may see${k.kind === 'secret' ? ' (metadata only)' : ''}, by owner and name, a page at a time.`,
      access: 'user',
      query: listQuery,
      response: { status: 200, schema: z.lazy(() => z.object({ [k.plural]: z.array(objectResponses[k.kind]), next_key: z.string().nullable() })), description: `{${k.plural}: [...], next_key}` },
      handle: async (context) => {
        const q = validate(listQuery, context.query, 'query');
        if (q.org_id !== undefined) organizationOf(context, q.org_id);
        const all = await context.services.catalog.list(context.user, k.kind, k.perOwner ? q.owner_name : undefined);
        const shown = page(all, q.page_size ?? DEFAULT_PAGE, q.next_key);
        return { status: 200, body: { [k.plural]: shown.objects.map((o) => rendered(context, k, o)), next_key: shown.next } };
      },
    },
    {
      method: 'GET',
      path: `/api/${k.plural}/{name}`,
      summary: `One ${k.label}${k.perOwner ? '; the owner defaults to the caller' : ''}${k.kind === 'secret' ? ' (metadata only)' : ''}.`,
      access: 'user',
      query,
      response: { status: 200, schema: objectResponses[k.kind], description: `The ${k.label}.` },
      handle: async (context) => {
        const { name, owner } = addressOf(context, k);
        return { status: 200, body: rendered(context, k, await context.services.catalog.get(context.user, k.kind, name, owner)) };
      },
    },
    {
      method: 'DELETE',
      path: `/api/${k.plural}/{name}`,
      summary: `Deletes a ${k.label}${admin}.`,
      access: 'user',
      query,
      response: { status: 204, description: 'Deleted.' },
      handle: async (context) => {
        const { name, owner } = addressOf(context, k);
        await context.services.catalog.delete(context.user, k.kind, name, owner);
        return { status: 204 };
      },
    },
  ];
}

export const catalogRoutes: RouteDefinition[] = KINDS.flatMap(routesOf);
