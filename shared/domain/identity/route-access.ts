/**
 * Who may pass a deployment's or workspace route: the rule the proxy in front of it applies
 * (locally the embedded proxy; on AWS the load balancer signs people in and the same rule holds).
 */
import type { RouteViewer, RouteVisibility } from '../planner/service-routes.ts';
import { mayAccess } from './access.ts';
import type { User } from './principal-decider.ts';

export interface RouteAccessRule {
  owner: string;
  visibility: RouteVisibility;
  viewers: readonly RouteViewer[];
}

/** Whether `viewer` names this user: by user name, by a group it is in, or either when no type is given. */
function viewerMatches(viewer: RouteViewer, user: User): boolean {
  const byName = viewer.name === user.username;
  const byGroup = user.groups.includes(viewer.name);
  if (viewer.type === 'user') return byName;
  if (viewer.type === 'group') return byGroup;
  return byName || byGroup;
}

/**
 * Whether `user` (null: nobody signed in) may use a route. `unauthenticated` admits everyone;
 * `org` any signed-in user; `owner` the owner, members of an owning group, admins, and the
 * route's viewers.
 */
export function mayUseRoute(user: User | null, rule: RouteAccessRule): boolean {
  if (rule.visibility === 'unauthenticated') return true;
  if (user === null) return false;
  if (rule.visibility === 'org') return true;
  return mayAccess(user, rule.owner) || rule.viewers.some((viewer) => viewerMatches(viewer, user));
}
