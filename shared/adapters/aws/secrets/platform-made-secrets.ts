/**
 * Secrets the platform makes for a resource and deletes with it (a Dask cluster's TLS
 * credentials, a workspace's SSH agent secret): created once, whoever races to create them
 * (the reactor and the reconciler), and deleted at once, with no recovery window, since they
 * have no use after their resource.
 */
import { CreateSecretCommand, DeleteSecretCommand, type CreateSecretCommandInput, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isNamed } from '../sdk-errors.ts';

/**
 * Creates the secret unless it exists: the first create wins, a later one keeps it. A secret
 * deleted a moment ago is still being deleted (Secrets Manager deletes asynchronously); the
 * error then says `stillDeleting`, and the next try (a retried reaction, the reconciler's pass)
 * creates it.
 */
export async function createSecretUnlessExists(client: SecretsManagerClient, input: CreateSecretCommandInput & { Name: string }, stillDeleting: string): Promise<void> {
  try {
    await client.send(new CreateSecretCommand(input));
  } catch (error) {
    if (isNamed(error, 'ResourceExistsException')) return;
    if (isNamed(error, 'InvalidRequestException')) throw new Error(stillDeleting, { cause: error });
    throw error;
  }
}

/** Deletes the secret at once; nothing to delete (or a deletion under way) is fine. */
export async function deleteSecretNow(client: SecretsManagerClient, name: string): Promise<void> {
  try {
    await client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
  } catch (error) {
    if (!isNamed(error, 'ResourceNotFoundException', 'InvalidRequestException')) throw error;
  }
}
