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

/** The same rule as user and group names (a DNS label): the name appears in paths and owner names. */
const ORGANIZATION_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function organizationNamed(name: string = DEFAULT_ORGANIZATION_NAME): Organization {
  return { id: name, name };
}

/**
 * The organization an operator's setting names (`CASSINI_ORG_NAME` locally, the CDK context
 * value `orgName` on AWS); the default when unset or empty. A name that could not appear in a
 * path or owner name stops the platform from starting, naming the setting.
 */
export function organizationFromSetting(value: string | undefined, setting: string): Organization {
  if (value === undefined || value === '') return organizationNamed();
  if (!ORGANIZATION_NAME.test(value)) {
    throw new Error(`${setting} must be a DNS label (lower-case letters, digits and "-", at most 63), not "${value}": it appears in paths and owner names.`);
  }
  return organizationNamed(value);
}
