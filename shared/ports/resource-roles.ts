/**
 * The cloud identities a resource's tasks run with, when the platform makes them per resource
 * (on AWS, its own task and execution roles: shared/adapters/aws/iam/resource-roles.ts). They
 * are made when the resource's tasks are planned; what the reactions need is to delete them with
 * the resource. Locally there are none.
 */
export interface ResourceRoleRemoval {
  /** Deletes the resource's roles; a resource that has none is fine. */
  removeOf(resourceId: string): Promise<void>;
}
