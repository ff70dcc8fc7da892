/**
 * The fields of `PATCH /api/users/{id}`, one entry each: the schema a value must pass and how it
 * changes the user. A new field (for example a usage limit's `limits_id`) is one more entry.
 * Saturn's `SaturnConnection.update_user` always sends `admin` and `locked` (False unless told
 * otherwise), so a PATCH that only means to change an e-mail also says "not an admin, unlocked".
 */
import * as z from 'zod';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';
import { principalName } from '../../../shared/domain/recipe/fields.ts';

interface UserField<S extends z.ZodType> {
  schema: S;
  describe: string;
  apply(user: User, value: z.infer<S>): User;
}

function field<S extends z.ZodType>(definition: UserField<S>): UserField<S> {
  return definition;
}

export const USER_FIELDS = {
  email: field({ schema: z.email().max(254).nullable(), describe: 'the e-mail address; null removes it', apply: (user, email) => ({ ...user, email }) }),
  username: field({
    schema: z.string(),
    describe: 'must be the current name: a user cannot be renamed (resources, catalog objects and grants name their owner)',
    apply: (user) => user,
  }),
  full_name: field({ schema: z.string().max(256).nullable(), describe: 'the full name; null removes it', apply: (user, fullName) => ({ ...user, full_name: fullName }) }),
  admin: field({ schema: z.boolean(), describe: 'whether the user is an admin', apply: (user, admin) => ({ ...user, admin }) }),
  locked: field({
    schema: z.boolean(),
    describe: "a locked user's tokens and sessions are refused until unlocked",
    apply: (user, locked) => ({ ...user, locked }),
  }),
  groups: field({
    schema: z.array(principalName).max(100),
    describe: "extension: the user's groups, all of them; groups named that do not exist yet are created",
    apply: (user, groups) => ({ ...user, groups: [...new Set(groups)].sort() }),
  }),
};

type Fields = typeof USER_FIELDS;
export type UserPatch = { [K in keyof Fields]?: z.infer<Fields[K]['schema']> };

export const patchUserBody = z.lazy(() =>
  z.strictObject(Object.fromEntries(Object.entries(USER_FIELDS).map(([name, f]) => [name, f.schema.optional().describe(f.describe)])) as { [K in keyof Fields]: z.ZodOptional<Fields[K]['schema']> }),
);

/** The user with every field of `patch` applied, in the table's order. */
export function patchedUser(user: User, patch: UserPatch): User {
  let changed = user;
  for (const [name, entry] of Object.entries(USER_FIELDS) as Array<[keyof Fields, UserField<z.ZodType>]>) {
    if (patch[name] !== undefined) changed = entry.apply(changed, patch[name]);
  }
  return changed;
}
