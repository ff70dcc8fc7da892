/**
 * The organization: Saturn's API is many organizations per installation; a Cassini installation
 * is exactly one, named by its operator. Saturn's client reads it (`primary_org`) to build owner
 * names `<org>/<user>` and passes its id back in paths (`/api/orgs/{org_id}/…`), so both are
 * stable for the life of the installation: the id is the name.
 */
export interface Organization {
  readonly id: string;
  readonly name: string;
}

export const DEFAULT_ORGANIZATION_NAME = 'cassini';

export function organizationNamed(name: string = DEFAULT_ORGANIZATION_NAME): Organization {
  return { id: name, name };
}
