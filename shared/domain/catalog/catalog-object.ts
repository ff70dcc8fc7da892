/**
 * The catalog: objects a resource may attach by name. Secrets and shared folders belong to an
 * owner (a user or group) and are named within it; images and IAM roles are named once for
 * the whole platform, because recipes refer to them by name alone (`image: "name:tag"`,
 * `iam_role: "name"`). Each object is one stream, keyed by kind, owner and name: the names are
 * restricted to characters that need no escaping, so the key is readable as it is.
 */
import type * as z from 'zod';
import type * as events from '../../../events/catalog-object-events.ts';

export const CATALOG_KINDS = ['secret', 'shared_folder', 'image', 'iam_role'] as const;
export type CatalogKind = (typeof CATALOG_KINDS)[number];

/** Kinds whose names are platform-wide rather than per owner. */
export const PLATFORM_WIDE_KINDS: ReadonlySet<CatalogKind> = new Set(['image', 'iam_role']);

export type CatalogAccess = 'owner' | 'org';

export interface CatalogAttributes {
  secret: z.infer<typeof events.secretAttributesSchema>;
  shared_folder: z.infer<typeof events.sharedFolderAttributesSchema>;
  image: z.infer<typeof events.imageAttributesSchema>;
  iam_role: z.infer<typeof events.iamRoleAttributesSchema>;
}

export interface CatalogObject<K extends CatalogKind = CatalogKind> {
  kind: K;
  owner: string;
  name: string;
  attributes: CatalogAttributes[K];
  created_at: string;
  updated_at: string;
}

export interface CatalogKey {
  kind: CatalogKind;
  /** The owner for per-owner kinds; ignored in the key of platform-wide kinds. */
  owner: string;
  name: string;
}

/**
 * The IAM path registered roles must live under. A task reaches its registered role by having
 * its resource's own task role assume it, and the boundary of those task roles allows
 * `sts:AssumeRole` on `role/cassini-workloads/*` only (infra/aws/constructs/resource-roles.ts),
 * so a role registered elsewhere could never be used: it is refused when registered instead.
 */
export const WORKLOAD_ROLE_PATH = '/cassini-workloads/';

export const CATALOG_STREAM_PREFIX = 'catalog-';

export function catalogStreamId(key: CatalogKey): string {
  return PLATFORM_WIDE_KINDS.has(key.kind) ? `${CATALOG_STREAM_PREFIX}${key.kind}-${key.name}` : `${CATALOG_STREAM_PREFIX}${key.kind}-${key.owner}/${key.name}`;
}

/**
 * Whether an owner (a user or group, with the groups it belongs to) may attach an object:
 * `org` objects anyone may; `owner` objects their owner and members of an owning group. IAM
 * roles go by their `allowed` list instead; images anyone may use.
 */
export function mayAttach(object: CatalogObject, owner: { name: string; groups: readonly string[] }): boolean {
  const belongs = (principal: string) => principal === owner.name || owner.groups.includes(principal);
  switch (object.kind) {
    case 'image':
      return true;
    case 'iam_role':
      return (object.attributes as CatalogAttributes['iam_role']).allowed.some(belongs);
    case 'secret':
    case 'shared_folder': {
      const { access } = object.attributes as CatalogAttributes['secret' | 'shared_folder'];
      return access === 'org' || belongs(object.owner);
    }
  }
}

/** An image a recipe names: a catalog name (optionally `:tag`), or a full URI it passes through. */
export type ImageReference = { kind: 'uri' } | { kind: 'catalog'; name: string; tag: string | undefined };

/**
 * A reference containing `/` (a repository path) is a full URI, and so is one whose name part
 * contains `.` (a registry host); anything else names a catalog image, `name` or `name:tag`.
 */
export function imageReference(image: string): ImageReference {
  if (image.includes('/')) return { kind: 'uri' };
  const [name = '', ...rest] = image.split(/[:@]/);
  if (name.includes('.')) return { kind: 'uri' };
  const tag = image.includes('@') ? undefined : rest.length > 0 ? rest.join(':') : undefined;
  return { kind: 'catalog', name, tag };
}
