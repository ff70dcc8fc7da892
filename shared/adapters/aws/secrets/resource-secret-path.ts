/**
 * Where a secret the platform makes for one resource lives under the platform prefix:
 * `<owner>/<kind prefix><resource id>` (a Dask cluster's TLS credentials, a workspace's SSH
 * agent secret). The kind prefixes start with `_`, which no catalog name does, so no user's
 * secret is ever named so. Pure: the SSH agent's bundle imports it.
 */
const OWNER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const RESOURCE_ID = /^[0-9a-f]{32}$/;

/** The resource a platform-made secret belongs to. */
export interface SecretResource {
  owner: string;
  resourceId: string;
}

/** `<owner>/<kindPrefix><resource id>`; throws on a name that is not an owner's or an id that is not a resource's. */
export function resourceSecretPath(kindPrefix: string, resource: SecretResource): string {
  if (!OWNER.test(resource.owner)) throw new Error(`not an owner name: ${JSON.stringify(resource.owner)}`);
  if (!RESOURCE_ID.test(resource.resourceId)) throw new Error(`not a resource id: ${JSON.stringify(resource.resourceId)}`);
  return `${resource.owner}/${kindPrefix}${resource.resourceId}`;
}
