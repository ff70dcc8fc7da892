/**
 * Events of the catalog objects a resource may attach: secrets, shared folders, images and
 * IAM roles. Each object has its own stream. Events carry metadata only: a secret's value
 * lives in the secret store and never in an event (`SecretValueSet` records that a new value
 * was stored, and by whom, not what it was). The schemas are strict, so an event that
 * carried anything else, such as a `value`, fails its schema.
 */
import * as z from 'zod';
import type { DomainEvent } from './envelope.ts';

const access = z.enum(['owner', 'org']);

export const secretAttributesSchema = z.strictObject({ description: z.string().nullable(), access });
export const sharedFolderAttributesSchema = z.strictObject({ access, access_mode: z.enum(['ReadWriteMany', 'ReadOnlyMany']) });
export const imageAttributesSchema = z.strictObject({ uri: z.string(), tags: z.array(z.string()), ide: z.string().nullable() });
export const iamRoleAttributesSchema = z.strictObject({ role_arn: z.string(), allowed: z.array(z.string()) });

/** Who owns the object and what it is called; image and IAM role names are platform-wide. */
const identity = { owner: z.string(), name: z.string() };

export const catalogObjectEventSchemas = {
  SecretCreated: secretAttributesSchema.extend(identity),
  SecretChanged: secretAttributesSchema,
  /** A new value was written to the secret store (the value itself is never recorded). */
  SecretValueSet: z.strictObject({}),
  SecretDeleted: z.strictObject({}),
  SharedFolderCreated: sharedFolderAttributesSchema.extend(identity),
  SharedFolderChanged: sharedFolderAttributesSchema,
  SharedFolderDeleted: z.strictObject({}),
  ImageCreated: imageAttributesSchema.extend(identity),
  ImageChanged: imageAttributesSchema,
  ImageDeleted: z.strictObject({}),
  IamRoleCreated: iamRoleAttributesSchema.extend(identity),
  IamRoleChanged: iamRoleAttributesSchema,
  IamRoleDeleted: z.strictObject({}),
} as const;

type C = typeof catalogObjectEventSchemas;
export type CatalogObjectEvent = { [K in keyof C]: DomainEvent<K, z.infer<C[K]>> }[keyof C];
