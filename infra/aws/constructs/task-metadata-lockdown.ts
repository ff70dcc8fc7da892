/**
 * What keeps tasks on the GPU container instances away from the instance's own credentials.
 * A task's code must act only as its task role; the instance role (the ECS agent's: register,
 * poll, pull) is not for it. Three locks, one per path to the instance metadata service (IMDS):
 *
 * - `ECS_AWSVPC_BLOCK_IMDS=true` in the ECS agent's configuration: the agent gives every awsvpc
 *   task's network namespace no route to 169.254.169.254 (the platform's tasks all use awsvpc).
 * - IMDSv2 only (session tokens required): a plain GET from anything that slipped through gets nothing.
 * - A PUT response hop limit of 1: the token PUT's answer dies one hop out, so a container behind
 *   a bridge or a namespace cannot get a token even with a route.
 *
 * Kept in one place so every launch template of GPU instances (one per group, if the groups are
 * split per instance type) gets the same settings: `lockedDownMetadataOptions` for the template's
 * props, `blockTaskMetadataAccess` for its user data.
 */
import type * as ec2 from 'aws-cdk-lib/aws-ec2';

/** The ECS agent setting that denies awsvpc tasks the instance metadata service. */
export const BLOCK_TASK_IMDS_SETTING = 'ECS_AWSVPC_BLOCK_IMDS=true';

/** Launch template props: IMDSv2 only, and token answers that do not leave the instance's own network stack. */
export function lockedDownMetadataOptions(): Pick<ec2.LaunchTemplateProps, 'requireImdsv2' | 'httpPutResponseHopLimit'> {
  return { requireImdsv2: true, httpPutResponseHopLimit: 1 };
}

/** Adds the agent setting to the user data the instances boot with (beside `ECS_CLUSTER`, which ECS capacity adds). */
export function blockTaskMetadataAccess(userData: ec2.UserData): void {
  userData.addCommands(`echo ${BLOCK_TASK_IMDS_SETTING} >> /etc/ecs/ecs.config`);
}
