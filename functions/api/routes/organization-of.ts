/** The organization a path or query names (`org_id`), which must be the installation's one. */
import type { RouteContext } from '../api-types.ts';
import { NotFoundError } from '../../../shared/domain/errors.ts';
import { organizationNamed, type Organization } from '../../../shared/domain/identity/organization.ts';

/** The installation's one organization. */
export function installationOrganization(context: Pick<RouteContext, 'services'>): Organization {
  return context.services.organization ?? organizationNamed();
}

/** The installation's organization, when `id` names it; 404 otherwise. */
export function organizationOf(context: RouteContext, id: string): Organization {
  const organization = installationOrganization(context);
  if (id !== organization.id) throw new NotFoundError(`No organization ${id}; this installation is one organization, ${organization.id}.`);
  return organization;
}
