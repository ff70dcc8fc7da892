/**
 * How a task reaches the IAM role an admin registered and its resource attached, now that the
 * task role is always the resource's own (which alone may mount its access points): the task
 * role may assume the registered role and nothing else, and the main container gets an AWS
 * config file whose default profile does it — `role_arn` with `credential_source = EcsContainer`
 * ("Assume role credentials", AWS SDKs and Tools Reference Guide), so the AWS CLI and the SDKs
 * (boto3, JavaScript v3, Java v2, Go v2, ...) act as the registered role without code changes.
 * `AWS_SDK_LOAD_CONFIG` makes the JavaScript SDK v2 read the file too.
 *
 * The file is written by the start-up prelude (ecs-attachments.ts) outside the home, so a
 * workspace's own `~/.aws/config` stays the user's.
 */
import type { KeyValuePair } from '@aws-sdk/client-ecs';

export const REGISTERED_ROLE_CONFIG_FILE = '/tmp/cassini-aws/config';

export interface RegisteredRoleProfile {
  configFile: { path: string; content: string; mode: number };
  environment: KeyValuePair[];
}

export function registeredRoleProfile(roleArn: string, resourceId: string): RegisteredRoleProfile {
  const content = ['[default]', `role_arn = ${roleArn}`, 'credential_source = EcsContainer', `role_session_name = cassini-${resourceId}`, ''].join('\n');
  return {
    configFile: { path: REGISTERED_ROLE_CONFIG_FILE, content, mode: 0o644 },
    environment: [
      { name: 'AWS_CONFIG_FILE', value: REGISTERED_ROLE_CONFIG_FILE },
      { name: 'AWS_SDK_LOAD_CONFIG', value: '1' },
    ],
  };
}
