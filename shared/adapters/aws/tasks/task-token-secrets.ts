/**
 * A task's SATURN_TOKEN on AWS, kept out of RunTask overrides and task definitions: the token
 * (TaskTokens port) is stored as a secret of its own, `<prefix>_tasks/<key>`, and the task
 * definition names that secret in `secrets` (`SATURN_TOKEN` valueFrom its ARN), so ECS injects
 * it with the execution role, which may read only under the prefix. The token's id — not the
 * token — is the secret's tag `cassini:token-id`, so whoever ends the task can revoke it with
 * nothing but the key.
 *
 * `create` is safe to repeat: a second create for the same key finds the secret, revokes the
 * token it has just issued, and returns the existing one. `remove` revokes and deletes at once
 * (no recovery window: a token has no use after its task), and is a no-op when it is gone.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { TaskTokens } from '../../../ports/task-tokens.ts';
import { DEFAULT_SECRET_PREFIX } from '../secrets/secret-names.ts';

export const TOKEN_ID_TAG = 'cassini:token-id';
/**
 * Under the platform prefix, beside users' secrets (`<prefix><owner>/<name>`). Owners are DNS
 * labels, so no owner is `_tasks`: no user can name (and so attach) another task's token.
 */
export const TASK_TOKEN_FOLDER = '_tasks/';
const KEY = /^[A-Za-z0-9_+=.@-]{1,256}$/;

export interface TaskTokenSecretsOptions {
  client: SecretsManagerClient;
  tokens: TaskTokens;
  /** Ends with `/`; e.g. `cassini/`. */
  prefix?: string;
}

export class TaskTokenSecrets {
  private readonly prefix: string;

  constructor(private readonly options: TaskTokenSecretsOptions) {
    this.prefix = options.prefix ?? DEFAULT_SECRET_PREFIX;
  }

  /** The secret's name for a key (a task id, or a service revision's family). */
  nameFor(key: string): string {
    if (!KEY.test(key)) throw new Error(`task token key ${JSON.stringify(key)} is not a valid secret name part`);
    return `${this.prefix}${TASK_TOKEN_FOLDER}${key}`;
  }

  /** Issues a token acting as `owner`, stores it, and returns the ARN of the secret holding it. */
  async create(owner: string, key: string): Promise<string> {
    const name = this.nameFor(key);
    const issued = await this.options.tokens.issue(owner, key);
    try {
      const created = await this.options.client.send(
        new CreateSecretCommand({
          Name: name,
          Description: `SATURN_TOKEN of Cassini task ${key}`,
          SecretString: issued.token,
          Tags: [
            { Key: 'owner', Value: owner },
            { Key: 'managed-by', Value: 'cassini' },
            { Key: TOKEN_ID_TAG, Value: issued.id },
          ],
        }),
      );
      if (!created.ARN) throw new Error(`CreateSecret returned no ARN for ${name}`);
      return created.ARN;
    } catch (error) {
      // Either way the token just issued is not held by any secret: it must not outlive this call.
      await this.options.tokens.revoke(issued.id);
      if ((error as { name?: unknown }).name !== 'ResourceExistsException') throw error;
      const existing = await this.options.client.send(new DescribeSecretCommand({ SecretId: name }));
      if (!existing.ARN) throw error;
      return existing.ARN;
    }
  }

  /** Revokes the key's token and deletes its secret; nothing to remove is fine. Says whether there was a secret. */
  async remove(key: string): Promise<boolean> {
    const name = this.nameFor(key);
    let tokenId: string | undefined;
    try {
      const described = await this.options.client.send(new DescribeSecretCommand({ SecretId: name }));
      tokenId = described.Tags?.find((t) => t.Key === TOKEN_ID_TAG)?.Value;
    } catch (error) {
      if ((error as { name?: unknown }).name === 'ResourceNotFoundException') return false;
      throw error;
    }
    if (tokenId) await this.options.tokens.revoke(tokenId);
    try {
      await this.options.client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      const name = (error as { name?: unknown }).name;
      if (name !== 'ResourceNotFoundException' && name !== 'InvalidRequestException') throw error;
    }
    return true;
  }
}
