/**
 * Each SSH-enabled workspace's agent secret on AWS (ssh-agent-contract.ts): one Secrets Manager
 * secret per workspace with `start_ssh`, `<prefix><owner>/_ssh-<resource id>`, made before the
 * workspace's service is created and deleted with the workspace. The value is made here and
 * goes to Secrets Manager only: no event, log line or response holds it.
 *
 * `ensure` is safe to repeat and to race (the reactor and the reconciler): the first create
 * wins, a later one finds the secret there and keeps it, so the agent and the gateway read one
 * password and one host key seed. `remove` deletes at once (no recovery window: the secret has
 * no use after its workspace) and is a no-op when the secret is gone.
 */
import { randomBytes } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_SECRET_PREFIX } from '../secrets/secret-names.ts';
import { createSecretUnlessExists, deleteSecretNow } from '../secrets/platform-made-secrets.ts';
import { sshAgentSecretPath, type SshAgentSecret, type SshAgentWorkspace } from './ssh-agent-contract.ts';

/** A fresh secret: 32 random bytes each, base64url (43 characters), as the contract says. */
export function makeSshAgentSecret(): SshAgentSecret {
  return { password: randomBytes(32).toString('base64url'), hostKeySeed: randomBytes(32).toString('base64url') };
}

export interface SshAgentSecretsOptions {
  client: SecretsManagerClient;
  /** The platform prefix, ending with `/`; default `cassini/`. */
  prefix?: string;
  /** Makes a secret's value; injectable for tests. */
  makeSecret?: () => SshAgentSecret;
}

export class SshAgentSecrets {
  readonly #options: SshAgentSecretsOptions;

  constructor(options: SshAgentSecretsOptions) {
    this.#options = options;
  }

  nameOf(workspace: SshAgentWorkspace): string {
    return `${this.#options.prefix ?? DEFAULT_SECRET_PREFIX}${sshAgentSecretPath(workspace)}`;
  }

  /** Creates the workspace's agent secret unless it exists. */
  async ensure(workspace: SshAgentWorkspace): Promise<void> {
    await createSecretUnlessExists(
      this.#options.client,
      {
        Name: this.nameOf(workspace),
        Description: `Credentials of the SSH agent in the tasks of Cassini workspace ${workspace.resourceId}`,
        SecretString: JSON.stringify((this.#options.makeSecret ?? makeSshAgentSecret)()),
        Tags: [
          { Key: 'owner', Value: workspace.owner },
          { Key: 'managed-by', Value: 'cassini' },
        ],
      },
      `the SSH credentials of workspace ${workspace.resourceId} are still being deleted after it was last deleted; it starts at the next try`,
    );
  }

  /** Deletes the workspace's agent secret at once; nothing to delete is fine. */
  async remove(workspace: SshAgentWorkspace): Promise<void> {
    await deleteSecretNow(this.#options.client, this.nameOf(workspace));
  }
}
