/** Who may read and change what a user or group owns. */
import type { User } from './principal-decider.ts';

/** The owner itself, members of an owning group, and admins. */
export function mayAccess(user: User, owner: string): boolean {
  return user.admin || user.username === owner || user.groups.includes(owner);
}

/** The owners whose resources a non-admin sees: itself and its groups. */
export function visibleOwners(user: User): string[] {
  return [user.username, ...user.groups];
}
