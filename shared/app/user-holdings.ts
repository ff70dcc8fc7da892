/**
 * What a user still owns, named as a person reads it: why `DELETE /api/users/{id}` is refused.
 * Resources and per-owner catalog objects (secrets, shared folders) are named by their owner;
 * deleting the user would leave them to nobody, or stop them silently.
 */
import type { RecipeViews } from '../ports/recipe-views.ts';
import type { CatalogService } from './catalog-service.ts';
import type { User } from '../domain/identity/principal-decider.ts';

/** At most this many are named; the message says how many more there are. */
const NAMED = 10;

/** The system reads as an admin: it must see everything the user owns. */
const SYSTEM: User = { username: 'system:user-holdings', email: null, groups: [], admin: true };

export async function userHoldings(username: string, deps: { views: RecipeViews; catalog: Pick<CatalogService, 'list'> }): Promise<string[]> {
  const [resources, secrets, folders] = await Promise.all([
    deps.views.list({ owners: [username], pageSize: NAMED + 1 }),
    deps.catalog.list(SYSTEM, 'secret', username),
    deps.catalog.list(SYSTEM, 'shared_folder', username),
  ]);
  const named = [
    ...resources.views.map((v) => `${v.resource.type} ${v.resource.name}`),
    ...secrets.map((s) => `secret ${s.name}`),
    ...folders.map((f) => `shared folder ${f.name}`),
  ];
  const more = named.length - NAMED + (resources.cursor ? 1 : 0);
  return more > 0 ? [...named.slice(0, NAMED), `${more}${resources.cursor ? '+' : ''} more`] : named;
}
