/**
 * The contract between the SSH gateway (infra/aws/ssh-gateway/) and the SSH agent that runs
 * inside a workspace's main container on AWS (infra/aws/ssh-agent/). Both sides import these
 * names from here, so neither can drift from the other:
 * - the gateway connects to the task's private IPv4 on WORKSPACE_SSH_PORT, as SSH_AGENT_USER,
 *   with the `password` of the workspace's agent secret, and pins the host key derived from its
 *   `hostKeySeed` (infra/aws/ssh-gateway/host-key-from-seed.ts);
 * - the secret is one per workspace with `start_ssh`, `<prefix><owner>/_ssh-<resource id>`,
 *   injected by ECS into the main container as SSH_AGENT_SECRET_VARIABLE.
 * No SDK and no CDK here: the agent's bundle, the gateway and the Lambdas all read this file.
 */
import * as z from 'zod';
import { resourceSecretPath, type SecretResource } from '../secrets/resource-secret-path.ts';

/** The port the agent listens on (0.0.0.0) inside the task; the tasks' security group admits it only from the gateway's. */
export const WORKSPACE_SSH_PORT = 22022;

/** The one user name the agent admits. */
export const SSH_AGENT_USER = 'cassini-gateway';

/** The main container's variable ECS fills with the secret's JSON; the agent removes it from every environment it hands on. */
export const SSH_AGENT_SECRET_VARIABLE = 'CASSINI_SSH_AGENT_SECRET';

/** Under the owner's folder of the platform prefix; a catalog name never starts with `_`, so no user secret is ever named so. */
export const SSH_AGENT_SECRET_PREFIX = '_ssh-';

/** The workspace whose agent a secret serves. */
export type SshAgentWorkspace = SecretResource;

/** The secret's name under the platform prefix: `<owner>/_ssh-<resource id>`. */
export function sshAgentSecretPath(workspace: SshAgentWorkspace): string {
  return resourceSecretPath(SSH_AGENT_SECRET_PREFIX, workspace);
}

/** 32 random bytes in base64url without padding: 43 characters. */
const RANDOM_32_BYTES = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 43 base64url characters (32 random bytes)');

/** The secret's value (SecretString, JSON). */
export const sshAgentSecretSchema = z.object({
  /** What the gateway sends as SSH_AGENT_USER's password. */
  password: RANDOM_32_BYTES,
  /** The agent's host key is derived from it (hostKeyFromSeed); the gateway derives the same to pin it. */
  hostKeySeed: RANDOM_32_BYTES,
});

export type SshAgentSecret = z.infer<typeof sshAgentSecretSchema>;
