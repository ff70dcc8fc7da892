/**
 * Secret values in AWS Secrets Manager, each under `<prefix><owner>/<name>` (prefix
 * `cassini/` by default, the only names the platform's roles may touch), tagged with its
 * owner and `managed-by: cassini` for cost allocation and audits.
 *
 * The writer is what the API function holds: create or replace, and delete. It cannot read a
 * value back (no GetSecretValue here, so none in the API's bundle or role); tasks get values
 * from ECS through the execution role, or from SecretsManagerReader where a reader is needed.
 *
 * Deleting schedules the secret's deletion with a 7-day recovery window (the shortest AWS
 * allows) rather than forcing it: a mistaken DELETE can be undone by an operator for a week,
 * and the name is not reusable during that week unless restored, which `put` does by itself
 * (RestoreSecret, then PutSecretValue), so re-creating a deleted secret just works.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretRef, SecretWriter } from '../../../ports/secret-store.ts';
import { DEFAULT_SECRET_PREFIX, secretName } from './secret-names.ts';

export { DEFAULT_SECRET_PREFIX, secretName };
/** Days a deleted secret stays recoverable (7 to 30; 7 keeps a deleted name blocked the shortest). */
export const RECOVERY_WINDOW_DAYS = 7;

export interface SecretsManagerOptions {
  client: SecretsManagerClient;
  /** Ends with `/`; e.g. `cassini/`. */
  prefix?: string;
}

function named(error: unknown, name: string): boolean {
  return (error as { name?: unknown } | undefined)?.name === name;
}

export class SecretsManagerStore implements SecretWriter {
  private readonly prefix: string;

  constructor(private readonly options: SecretsManagerOptions) {
    this.prefix = options.prefix ?? DEFAULT_SECRET_PREFIX;
  }

  async put(ref: SecretRef, value: string): Promise<void> {
    const name = secretName(ref, this.prefix);
    try {
      await this.options.client.send(
        new CreateSecretCommand({
          Name: name,
          Description: `Cassini secret ${ref.name} of ${ref.owner}`,
          SecretString: value,
          Tags: [
            { Key: 'owner', Value: ref.owner },
            { Key: 'managed-by', Value: 'cassini' },
          ],
        }),
      );
      return;
    } catch (error) {
      if (named(error, 'InvalidRequestException')) {
        // The name belongs to a secret scheduled for deletion: bring it back, then replace its value.
        await this.options.client.send(new RestoreSecretCommand({ SecretId: name }));
      } else if (!named(error, 'ResourceExistsException')) {
        throw error;
      }
    }
    await this.options.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
  }

  async delete(ref: SecretRef): Promise<void> {
    try {
      await this.options.client.send(new DeleteSecretCommand({ SecretId: secretName(ref, this.prefix), RecoveryWindowInDays: RECOVERY_WINDOW_DAYS }));
    } catch (error) {
      // Already gone, or already scheduled for deletion: either way there is nothing to do.
      if (named(error, 'ResourceNotFoundException') || named(error, 'InvalidRequestException')) return;
      throw error;
    }
  }
}

/** The API's secret writer, under the stack's prefix (`SECRET_PREFIX`, default `cassini/`). */
export function secretsManagerStoreFromEnv(env: NodeJS.ProcessEnv): SecretsManagerStore {
  return new SecretsManagerStore({ client: new SecretsManagerClient({}), prefix: env.SECRET_PREFIX });
}
